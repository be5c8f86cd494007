namespace HilRig.Rig.Model.Schema;

/// <summary>The kinds of value a rig option can hold.</summary>
public enum OptionType
{
    String,
    Int,
    Bool,
    Duration,
    Size,
    Path,
    Enum,
    StringList,
    StringMap,

    /// <summary>A YAML subtree handed as-is to the component that owns it, which validates it with positions.</summary>
    Yaml,
}

/// <summary>One option of a driver or section: its name, type, whether it is required and its default.</summary>
public sealed record OptionSpec(string Name, OptionType Type, string Description, bool Required = false, object? Default = null, IReadOnlyList<string>? Values = null)
{
    /// <summary>The smallest value an <see cref="OptionType.Int"/> option takes; the rig file is refused below it, at load.</summary>
    public int? Minimum { get; init; }

    public static OptionSpec String(string name, string description, string? @default = null) => new(name, OptionType.String, description, Default: @default);
    public static OptionSpec RequiredString(string name, string description) => new(name, OptionType.String, description, Required: true);
    public static OptionSpec Int(string name, string description, int? @default = null, int? minimum = null) =>
        new(name, OptionType.Int, description, Default: @default) { Minimum = minimum };
    public static OptionSpec Bool(string name, string description, bool @default) => new(name, OptionType.Bool, description, Default: @default);
    public static OptionSpec Duration(string name, string description, TimeSpan? @default = null) => new(name, OptionType.Duration, description, Default: @default);
    public static OptionSpec Size(string name, string description, long? @default = null) => new(name, OptionType.Size, description, Default: @default);
    public static OptionSpec Path(string name, string description, bool required = false) => new(name, OptionType.Path, description, Required: required);
    public static OptionSpec Enum(string name, string description, string @default, params string[] values) => new(name, OptionType.Enum, description, Default: @default, Values: values);
    public static OptionSpec List(string name, string description) => new(name, OptionType.StringList, description, Default: Array.Empty<string>());
    public static OptionSpec Map(string name, string description) => new(name, OptionType.StringMap, description, Default: new Dictionary<string, string>());
    public static OptionSpec Yaml(string name, string description) => new(name, OptionType.Yaml, description);

    public string TypeName => Type switch
    {
        OptionType.Enum => "one of " + string.Join("|", Values ?? []),
        OptionType.StringList => "list of strings",
        OptionType.StringMap => "map of strings",
        OptionType.Duration => "duration (e.g. 500ms, 30s)",
        OptionType.Size => "size (e.g. 16MiB)",
        _ => Type.ToString().ToLowerInvariant(),
    };
}
