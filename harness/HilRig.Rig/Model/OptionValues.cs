using YamlDotNet.RepresentationModel;

namespace HilRig.Rig.Model;

/// <summary>Validated, typed option values of one driver or section, defaults filled in, each with where it was written.</summary>
public sealed class OptionValues
{
    private readonly Dictionary<string, object?> _values;
    private readonly Dictionary<string, YamlLocation> _locations;

    public OptionValues(Dictionary<string, object?> values, Dictionary<string, YamlLocation> locations, YamlLocation location)
    {
        _values = values;
        _locations = locations;
        Location = location;
    }

    public static OptionValues Empty(YamlLocation location) => new(new(), new(), location);

    public YamlLocation Location { get; }

    public IEnumerable<string> Names => _values.Keys;

    public bool Has(string name) => _values.TryGetValue(name, out var v) && v is not null;

    public YamlLocation LocationOf(string name) => _locations.GetValueOrDefault(name, Location);

    public string? String(string name) => _values.GetValueOrDefault(name) as string;

    public string RequiredString(string name) => String(name) ?? throw new InvalidOperationException($"option {name} is required at {Location}");

    public int Int(string name) => (int)_values[name]!;

    public bool Bool(string name) => (bool)_values[name]!;

    public TimeSpan Duration(string name) => (TimeSpan)_values[name]!;

    public long Size(string name) => (long)_values[name]!;

    public IReadOnlyList<string> List(string name) => _values.GetValueOrDefault(name) as IReadOnlyList<string> ?? [];

    public IReadOnlyDictionary<string, string> Map(string name) =>
        _values.GetValueOrDefault(name) as IReadOnlyDictionary<string, string> ?? new Dictionary<string, string>();

    /// <summary>A YAML subtree kept for its owner to read, with the file it came from for error positions.</summary>
    public YamlNode? Yaml(string name) => _values.GetValueOrDefault(name) as YamlNode;
}
