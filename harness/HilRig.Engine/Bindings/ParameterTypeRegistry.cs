namespace HilRig.Engine.Bindings;

/// <summary>The parameter types Cucumber expressions may name: the built-ins plus custom ones.</summary>
public sealed class ParameterTypeRegistry
{
    private readonly Dictionary<string, ParameterType> _byName = new(StringComparer.Ordinal);

    public ParameterTypeRegistry()
    {
        foreach (var type in ParameterType.BuiltIns) _byName[type.Name] = type;
    }

    public IEnumerable<string> Names => _byName.Keys.Where(n => n.Length > 0).Order(StringComparer.Ordinal);

    public IEnumerable<ParameterType> All => _byName.Values;

    public void Add(ParameterType type)
    {
        if (_byName.TryGetValue(type.Name, out var existing) && ParameterType.BuiltIns.Contains(existing))
            throw new BindingException($"parameter type {{{type.Name}}} is built in and cannot be redefined");
        if (!_byName.TryAdd(type.Name, type))
            throw new BindingException($"parameter type {{{type.Name}}} is defined twice");
    }

    public ParameterType? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The custom type whose values are of <paramref name="valueType"/>, for converting regex-step arguments.</summary>
    public ParameterType? FindCustomFor(Type valueType) =>
        _byName.Values.FirstOrDefault(t => t.ValueType == valueType && !ParameterType.BuiltIns.Contains(t));
}
