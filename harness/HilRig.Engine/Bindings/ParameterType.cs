using System.Globalization;
using CucumberExpressions;
using HilRig.Engine.Runtime;

namespace HilRig.Engine.Bindings;

/// <summary>
/// A named Cucumber-expression parameter type (<see cref="IParameterType"/> of Cucumber.CucumberExpressions): the
/// regular expressions it matches and how the matched text becomes a value. Custom types come from Reqnroll's
/// <c>[StepArgumentTransformation(regex, Name = "…")]</c> methods (see <see cref="StepArgumentTransformation"/>).
/// </summary>
public sealed class ParameterType : IParameterType
{
    public ParameterType(string name, IReadOnlyList<string> regexes, Type valueType, Func<StepArgumentMatch, ScenarioServices?, object?> transform,
        bool useForSnippets = false, int weight = 0, bool builtIn = false)
    {
        Name = name;
        RegexStrings = regexes.ToArray();
        ValueType = valueType;
        Transform = transform;
        UseForSnippets = useForSnippets;
        Weight = weight;
        IsBuiltIn = builtIn;
    }

    public string Name { get; }

    public string[] RegexStrings { get; }

    public Type ValueType { get; }

    Type IParameterType.ParameterType => ValueType;

    /// <summary>
    /// Turns a matched argument into a value; custom types may need the scenario's services (e.g. the rig). The result
    /// may be a task (an async transformation), which the step invoker awaits.
    /// </summary>
    public Func<StepArgumentMatch, ScenarioServices?, object?> Transform { get; }

    public bool UseForSnippets { get; }

    /// <summary>Breaks ties when snippets are generated: of two types matching the same text, the heavier is chosen.</summary>
    public int Weight { get; }

    public bool IsBuiltIn { get; }

    public override string ToString() => "{" + Name + "}";

    private static readonly string[] Integer = ParameterTypeConstants.IntParameterRegexps;
    // The invariant-culture float regex: steps are written with '.' decimals whatever the feature's language.
    private static readonly string[] Float = ParameterTypeConstants.FloatParameterRegexpsEn;
    private static readonly string[] Anything = [ParameterTypeConstants.AnonymousParameterRegex];
    private const NumberStyles FloatStyle = NumberStyles.Float | NumberStyles.AllowThousands;

    private static ParameterType BuiltIn(string name, string[] regexes, Type type, Func<string, object?> parse, bool snippets = false, int weight = 0) =>
        new(name, regexes, type, (argument, _) => parse(argument.Text), snippets, weight, builtIn: true);

    /// <summary>
    /// Cucumber's built-in types plus the ones Reqnroll adds under their .NET names (<c>{Int32}</c>, <c>{DateTime}</c>,
    /// <c>{Guid}</c>, …), so expressions written for Reqnroll bind here too. Snippets use <c>{int}</c>, <c>{double}</c> and
    /// <c>{string}</c>; <c>{int}</c> outweighs <c>{double}</c> on a whole number.
    /// </summary>
    public static IReadOnlyList<ParameterType> BuiltIns { get; } =
    [
        BuiltIn("int", Integer, typeof(int), s => int.Parse(s, CultureInfo.InvariantCulture), snippets: true, weight: 1),
        BuiltIn("long", Integer, typeof(long), s => long.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("byte", Integer, typeof(byte), s => byte.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("short", Integer, typeof(short), s => short.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("float", Float, typeof(float), s => float.Parse(s, FloatStyle, CultureInfo.InvariantCulture)),
        BuiltIn("double", Float, typeof(double), s => double.Parse(s, FloatStyle, CultureInfo.InvariantCulture), snippets: true),
        BuiltIn("decimal", Float, typeof(decimal), s => decimal.Parse(s, FloatStyle, CultureInfo.InvariantCulture)),
        BuiltIn(ParameterTypeConstants.WordParameterName, ParameterTypeConstants.WordParameterRegexps, typeof(string), s => s),
        BuiltIn(ParameterTypeConstants.StringParameterName, ParameterTypeConstants.StringParameterRegexps, typeof(string), Unquote, snippets: true),
        BuiltIn("", Anything, typeof(string), s => s),
        BuiltIn("Int16", Integer, typeof(short), s => short.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("Int32", Integer, typeof(int), s => int.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("Int64", Integer, typeof(long), s => long.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("Byte", Integer, typeof(byte), s => byte.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("Single", Float, typeof(float), s => float.Parse(s, FloatStyle, CultureInfo.InvariantCulture)),
        BuiltIn("Double", Float, typeof(double), s => double.Parse(s, FloatStyle, CultureInfo.InvariantCulture)),
        BuiltIn("Decimal", Float, typeof(decimal), s => decimal.Parse(s, FloatStyle, CultureInfo.InvariantCulture)),
        BuiltIn("Boolean", Anything, typeof(bool), s => bool.Parse(s)),
        BuiltIn("Char", Anything, typeof(char), s => char.Parse(s)),
        BuiltIn("DateTime", Anything, typeof(DateTime), s => DateTime.Parse(s, CultureInfo.InvariantCulture)),
        BuiltIn("Guid", Anything, typeof(Guid), s => Guid.Parse(s)),
    ];

    /// <summary>An enum used as a step parameter, named by its full name and found by its short one (<c>{Color}</c>), as in Reqnroll.</summary>
    public static ParameterType ForEnum(Type type) =>
        new(type.FullName!, Anything, type, (argument, _) => StepInvoker.ParseEnum(type, argument.Text), builtIn: true);

    /// <summary>The text between the quotes of a <c>{string}</c>, with <c>\"</c> or <c>\'</c> unescaped as Cucumber does.</summary>
    private static string Unquote(string quoted)
    {
        var quote = quoted[0];
        var inner = quoted.AsSpan(1, quoted.Length - 2);
        return inner.Contains('\\') ? inner.ToString().Replace("\\" + quote, quote.ToString()) : inner.ToString();
    }
}
