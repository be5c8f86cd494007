using CucumberExpressions;

namespace HilRig.Engine.Bindings;

/// <summary>
/// The parameter types Cucumber expressions may name, as Cucumber.CucumberExpressions asks for them: the built-ins,
/// enums used by step methods, and the custom types of <c>[StepArgumentTransformation(…, Name = "…")]</c> methods.
/// A type named by a .NET full name (an enum, a transformation without a Name) is also found by its short name.
/// </summary>
public sealed class ParameterTypeRegistry : IParameterTypeRegistry
{
    private readonly Dictionary<string, ParameterType> _byName = new(StringComparer.Ordinal);

    public ParameterTypeRegistry()
    {
        foreach (var type in ParameterType.BuiltIns) _byName[type.Name] = type;
    }

    /// <summary>The names a user can write, sorted: built-in aliases and custom types (not .NET full names).</summary>
    public IEnumerable<string> Names => _byName.Keys.Where(n => n.Length > 0).Order(StringComparer.Ordinal);

    public IEnumerable<ParameterType> All => _byName.Values;

    public IEnumerable<ParameterType> Custom => _byName.Values.Where(t => !t.IsBuiltIn);

    public void Add(ParameterType type)
    {
        if (_byName.TryGetValue(type.Name, out var existing))
            throw new StepBindingException(existing.IsBuiltIn
                ? $"parameter type {{{type.Name}}} is built in and cannot be redefined"
                : $"parameter type {{{type.Name}}} is defined twice (for {existing.ValueType.Name} and {type.ValueType.Name})");
        _byName[type.Name] = type;
    }

    /// <summary>Makes an enum usable as <c>{EnumName}</c>, as Reqnroll does for enums its step methods take.</summary>
    public void AddEnum(Type enumType)
    {
        if (!_byName.ContainsKey(enumType.FullName!)) _byName[enumType.FullName!] = ParameterType.ForEnum(enumType);
    }

    public ParameterType? Find(string name) => (ParameterType?)LookupByTypeName(name);

    public IParameterType? LookupByTypeName(string name)
    {
        if (_byName.TryGetValue(name, out var type)) return type;
        var bySuffix = _byName.Where(kv => kv.Key.EndsWith("." + name, StringComparison.Ordinal) || kv.Key.EndsWith("+" + name, StringComparison.Ordinal))
            .Select(kv => kv.Value).ToList();
        return bySuffix.Count switch
        {
            0 => null,
            1 => bySuffix[0],
            _ => throw new StepBindingException(
                $"{{{name}}} is ambiguous: {string.Join(" and ", bySuffix.Select(t => t.Name))} share that short name; write the full name"),
        };
    }

    public IEnumerable<IParameterType> GetParameterTypes() => _byName.Values;
}
