using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Writes a ready-to-paste C# step definition for an undefined step, turning quoted text into
/// <c>{string}</c> and numbers into <c>{int}</c> or <c>{double}</c> as Cucumber does.
/// </summary>
public static partial class SnippetGenerator
{
    public static string For(PickleStep step)
    {
        var expression = new StringBuilder();
        var parameters = new List<string>();
        var last = 0;
        foreach (Match m in Arguments().Matches(step.Text))
        {
            expression.Append(Escape(step.Text[last..m.Index]));
            last = m.Index + m.Length;
            if (m.Groups["string"].Success)
            {
                expression.Append("{string}");
                parameters.Add($"string p{parameters.Count}");
            }
            else if (m.Value.Contains('.'))
            {
                expression.Append("{double}");
                parameters.Add($"double p{parameters.Count}");
            }
            else
            {
                expression.Append("{int}");
                parameters.Add($"int p{parameters.Count}");
            }
        }
        expression.Append(Escape(step.Text[last..]));
        switch (step.Argument)
        {
            case DataTable:
                parameters.Add("DataTable table");
                break;
            case DocString:
                parameters.Add("DocString docString");
                break;
        }
        var attribute = step.Kind switch
        {
            StepKind.Context => "Given",
            StepKind.Action => "When",
            StepKind.Outcome => "Then",
            _ => "Given",
        };
        var name = MethodName(attribute, step.Text);
        var literal = expression.ToString().Replace("\\", "\\\\").Replace("\"", "\\\"");
        return $$"""
            [{{attribute}}("{{literal}}")]
            public void {{name}}({{string.Join(", ", parameters)}})
            {
                throw new PendingStepException();
            }
            """;
    }

    private static string Escape(string text) =>
        text.Replace("\\", "\\\\").Replace("(", "\\(").Replace(")", "\\)").Replace("{", "\\{").Replace("}", "\\}").Replace("/", "\\/");

    private static string MethodName(string prefix, string text)
    {
        var words = Words().Matches(Arguments().Replace(text, " ")).Select(w => w.Value).Take(8);
        var name = new StringBuilder(prefix);
        foreach (var w in words)
            name.Append(char.ToUpper(w[0], CultureInfo.InvariantCulture)).Append(w.AsSpan(1));
        return name.ToString();
    }

    [GeneratedRegex(@"(?<string>""[^""]*""|'[^']*')|(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")]
    private static partial Regex Arguments();

    [GeneratedRegex(@"[\p{L}\p{Nd}]+")]
    private static partial Regex Words();
}
