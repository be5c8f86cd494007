using System.Reflection;
using HilRig.Engine.Bindings;

namespace HilRig.Engine.Runtime;

/// <summary>
/// The objects one scenario (or, for the run scope, the whole run) shares: binding classes and the context
/// objects their constructors ask for. Each type is built once per scope from its widest public constructor;
/// types marked <see cref="RunScopedAttribute"/> live in the run scope. A scope disposes what it built, in
/// reverse order, when it ends — this is how boards are powered off after every scenario.
/// </summary>
public sealed class ScenarioServices : IAsyncDisposable
{
    private readonly ScenarioServices? _run;
    private readonly Dictionary<Type, object> _instances = new();
    private readonly List<object> _owned = new();
    private readonly Stack<Type> _building = new();
    private readonly object _gate = new();
    private bool _disposed;

    private ScenarioServices(ScenarioServices? run)
    {
        _run = run;
        _instances[typeof(ScenarioServices)] = this;
    }

    public static ScenarioServices CreateRunScope() => new(null);

    public ScenarioServices CreateScenarioScope()
    {
        if (_run is not null) throw new InvalidOperationException("a scenario scope is created from the run scope");
        return new ScenarioServices(this);
    }

    public bool IsRunScope => _run is null;

    /// <summary>Makes an existing object available; when <paramref name="owned"/>, the scope disposes it.</summary>
    public void Add<T>(T instance, bool owned = false) where T : notnull
    {
        lock (_gate)
        {
            _instances[typeof(T)] = instance;
            if (instance.GetType() != typeof(T)) _instances.TryAdd(instance.GetType(), instance);
            if (owned) _owned.Add(instance);
        }
    }

    public T Get<T>() => (T)Get(typeof(T));

    public bool TryGetExisting<T>(out T? value)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue(typeof(T), out var o) || (_run is not null && _run.TryGetExistingUntyped(typeof(T), out o)))
            {
                value = (T)o!;
                return true;
            }
        }
        value = default;
        return false;
    }

    private bool TryGetExistingUntyped(Type type, out object? value)
    {
        lock (_gate) return _instances.TryGetValue(type, out value);
    }

    public object Get(Type type)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            if (_instances.TryGetValue(type, out var existing)) return existing;
            if (_run is not null && (type.GetCustomAttribute<RunScopedAttribute>() is not null || _run.TryGetExistingUntyped(type, out _)))
                return _run.Get(type);
            return Build(type);
        }
    }

    private object Build(Type type)
    {
        if (_building.Contains(type))
            throw new StepBindingException($"cannot build {type.Name}: its constructor needs itself ({string.Join(" → ", _building.Reverse().Append(type).Select(t => t.Name))})");
        if (type.GetCustomAttribute<ProvidedByHostAttribute>() is { } provided)
            throw new StepBindingException($"no {type.Name} is available{(_building.Count > 0 ? $" for {_building.Peek().Name}" : "")}: {provided.Hint}");
        if (type.IsAbstract || type.IsInterface || type.IsPrimitive || type == typeof(string))
            throw new StepBindingException(
                $"cannot build a {type.Name}{(_building.Count > 0 ? $" for {_building.Peek().Name}" : "")}: it is not a concrete class; " +
                "provide it with ScenarioServices.Add or a [BeforeScenario]/[BeforeRun] hook");
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault()
            ?? throw new StepBindingException($"cannot build {type.Name}: it has no public constructor");
        _building.Push(type);
        object instance;
        try
        {
            var args = constructor.GetParameters().Select(p => Get(p.ParameterType)).ToArray();
            instance = constructor.Invoke(args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new StepBindingException($"constructing {type.Name} failed: {e.InnerException.Message}", e.InnerException);
        }
        finally
        {
            _building.Pop();
        }
        _instances[type] = instance;
        _owned.Add(instance);
        return instance;
    }

    /// <summary>Disposes what this scope built, newest first; every failure is collected, none stops the others.</summary>
    public async ValueTask DisposeAsync()
    {
        List<object> owned;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            owned = new List<object>(_owned);
            owned.Reverse();
        }
        var errors = new List<Exception>();
        await Disposal.DisposeAllAsync(owned, errors);
        if (errors.Count == 1) throw errors[0];
        if (errors.Count > 1) throw new AggregateException("disposing scenario context failed", errors);
    }
}
