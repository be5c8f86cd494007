using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CucumberExpressions.Generation;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Writes a ready-to-paste Reqnroll step definition for an undefined step. The expression comes from
/// Cucumber.CucumberExpressions' <see cref="CucumberExpressionGenerator"/> over every parameter type used for snippets,
/// so custom types appear (<c>board {board}</c>) as well as <c>{int}</c>, <c>{double}</c> and <c>{string}</c>.
/// </summary>
public static partial class SnippetGenerator
{
    public static string For(PickleStep step, ParameterTypeRegistry registry)
    {
        var (expression, arguments) = Choose(step.Text, registry);
        var parameters = arguments.Select((a, i) => a.Type!.IsBuiltIn ? $"{CSharpName(a.Type.ValueType)} p{i}" : $"{CSharpName(a.Type.ValueType)} {Camel(a.Type.Name)}").ToList();
        switch (step.Argument)
        {
            case StepTable:
                parameters.Add("DataTable dataTable");
                break;
            case DocString:
                parameters.Add("string docString");
                break;
        }
        var attribute = step.Kind switch
        {
            StepKind.Context => "Given",
            StepKind.Action => "When",
            StepKind.Outcome => "Then",
            _ => "Given",
        };
        var text = new StringBuilder(step.Text);
        foreach (var a in arguments.Where(a => a.Index >= 0).OrderByDescending(a => a.Index)) text.Remove(a.Index, a.Text.Length).Insert(a.Index, ' ');
        var name = MethodName(attribute, text.ToString());
        var literal = expression.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return $$"""
            [{{attribute}}("{{literal}}")]
            public void {{name}}({{string.Join(", ", parameters)}})
            {
                throw new PendingStepException();
            }
            """;
    }

    /// <summary>
    /// Of the expressions the generator offers (one per combination of types that match the same text), the one where
    /// custom types stand right after their own name — <c>board "dut"</c> is <c>board {board}</c>, while
    /// <c>I run "uptime"</c> stays <c>{string}</c> — else the generator's first.
    /// </summary>
    private static (string Expression, IReadOnlyList<StepArgumentMatch> Arguments) Choose(string text, ParameterTypeRegistry registry)
    {
        var candidates = new CucumberExpressionGenerator(registry).GenerateExpressions(text)
            .Select(g => g.GetSource())
            .Select(source => (Source: source, Arguments: new CucumberStepExpression(source, registry).Match(text)))
            .Where(c => c.Arguments is not null)
            .ToList();
        if (candidates.Count == 0) return (Escape(text), []);
        var best = candidates.MaxBy(c => c.Arguments!.Sum(a => Fit(text, a)));
        return (best.Source, best.Arguments!);
    }

    private static int Fit(string text, StepArgumentMatch argument)
    {
        if (argument.Type is not { IsBuiltIn: false } type || argument.Index < 0) return 0;
        var before = text[..argument.Index].TrimEnd();
        return before.EndsWith(type.Name, StringComparison.OrdinalIgnoreCase) ? 1 : -1;
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)").Replace("{", "\\{").Replace("}", "\\}").Replace("/", "\\/");

    private static string CSharpName(Type type) => type switch
    {
        _ when type == typeof(int) => "int",
        _ when type == typeof(long) => "long",
        _ when type == typeof(short) => "short",
        _ when type == typeof(byte) => "byte",
        _ when type == typeof(float) => "float",
        _ when type == typeof(double) => "double",
        _ when type == typeof(decimal) => "decimal",
        _ when type == typeof(bool) => "bool",
        _ when type == typeof(char) => "char",
        _ when type == typeof(string) => "string",
        _ => type.Name,
    };

    private static string Camel(string name)
    {
        var shortName = name[(name.LastIndexOfAny(['.', '+']) + 1)..];
        return char.ToLowerInvariant(shortName[0]) + shortName[1..];
    }

    private static string MethodName(string prefix, string text)
    {
        var words = Words().Matches(text).Select(w => w.Value).Take(8);
        var name = new StringBuilder(prefix);
        foreach (var w in words)
            name.Append(char.ToUpper(w[0], CultureInfo.InvariantCulture)).Append(w.AsSpan(1));
        return name.ToString();
    }

    [GeneratedRegex(@"[\p{L}\p{Nd}]+")]
    private static partial Regex Words();
}
