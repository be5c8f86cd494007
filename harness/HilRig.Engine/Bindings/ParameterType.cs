using HilRig.Engine.Runtime;

using System.Globalization;

namespace HilRig.Engine.Bindings;

/// <summary>
/// A named Cucumber-expression parameter type: the regular expressions it matches and how matched text
/// becomes a value. Custom types are declared with <see cref="ParameterTypeAttribute"/>.
/// </summary>
public sealed class ParameterType
{
    public ParameterType(string name, IReadOnlyList<string> regexes, Type valueType, Func<string, ScenarioServices?, object?> transform,
        bool useForSnippets = false)
    {
        Name = name;
        Regexes = regexes;
        ValueType = valueType;
        Transform = transform;
        UseForSnippets = useForSnippets;
    }

    public string Name { get; }

    public IReadOnlyList<string> Regexes { get; }

    public Type ValueType { get; }

    /// <summary>Turns matched text into a value; custom types may need the scenario's services (e.g. the rig).</summary>
    public Func<string, ScenarioServices?, object?> Transform { get; }

    public bool UseForSnippets { get; }

    private const string IntegerRegex = @"-?\d+";
    private const string FloatRegex = @"(?=.*\d.*)[-+]?\d*(?:\.(?=\d.*))?\d*(?:\d+[E][+-]?\d+)?";
    private const string StringRegex = @"""(?:[^""\\]*(?:\\.[^""\\]*)*)""|'(?:[^'\\]*(?:\\.[^'\\]*)*)'";

    public static IReadOnlyList<ParameterType> BuiltIns { get; } =
    [
        new("int", [IntegerRegex, @"\d+"], typeof(int), (s, _) => int.Parse(s, CultureInfo.InvariantCulture), useForSnippets: true),
        new("long", [IntegerRegex, @"\d+"], typeof(long), (s, _) => long.Parse(s, CultureInfo.InvariantCulture)),
        new("byte", [IntegerRegex, @"\d+"], typeof(byte), (s, _) => byte.Parse(s, CultureInfo.InvariantCulture)),
        new("short", [IntegerRegex, @"\d+"], typeof(short), (s, _) => short.Parse(s, CultureInfo.InvariantCulture)),
        new("float", [FloatRegex], typeof(float), (s, _) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
        new("double", [FloatRegex], typeof(double), (s, _) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture), useForSnippets: true),
        new("decimal", [FloatRegex], typeof(decimal), (s, _) => decimal.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)),
        new("word", [@"[^\s]+"], typeof(string), (s, _) => s),
        new("string", [StringRegex], typeof(string), (s, _) => Unquote(s), useForSnippets: true),
        new("", [".*"], typeof(string), (s, _) => s),
    ];

    private static string Unquote(string quoted)
    {
        var quote = quoted[0];
        var inner = quoted.AsSpan(1, quoted.Length - 2);
        return inner.Contains('\\') ? inner.ToString().Replace("\\" + quote, quote.ToString()).Replace("\\\\", "\\") : inner.ToString();
    }
}
