using System.Text;
using System.Text.RegularExpressions;

namespace HilRig.Engine.Bindings;

/// <summary>
/// A compiled Cucumber expression (cucumber/cucumber-expressions grammar):
/// <c>I have {int} cucumber(s) in my belly/stomach</c>. Optional text is written <c>(s)</c>, alternatives
/// <c>a/b</c> (bounded by whitespace or a parameter), parameters <c>{name}</c>; <c>\</c> escapes
/// <c>( ) { } / \</c>. Each parameter becomes one named group so its own regex may hold any groups.
/// </summary>
public sealed class CucumberExpression : IStepExpression
{
    private readonly Regex _regex;
    private readonly IReadOnlyList<ParameterType> _parameters;

    public CucumberExpression(string source, ParameterTypeRegistry registry)
    {
        Source = source;
        var parameters = new List<ParameterType>();
        var pattern = new StringBuilder("^");
        foreach (var node in Parse(source))
            Emit(node, registry, parameters, pattern);
        pattern.Append('$');
        _parameters = parameters;
        _regex = new Regex(pattern.ToString(), RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant);
    }

    public string Source { get; }

    public IReadOnlyList<ParameterType> Parameters => _parameters;

    public string RegexPattern => _regex.ToString();

    public IReadOnlyList<StepArgumentMatch>? Match(string text)
    {
        var m = _regex.Match(text);
        if (!m.Success) return null;
        var result = new StepArgumentMatch[_parameters.Count];
        for (var i = 0; i < _parameters.Count; i++)
        {
            var group = m.Groups[GroupName(i)];
            result[i] = new StepArgumentMatch(group.Value, group.Index, _parameters[i]);
        }
        return result;
    }

    private static string GroupName(int index) => "p" + index;

    private void Emit(Node node, ParameterTypeRegistry registry, List<ParameterType> parameters, StringBuilder pattern)
    {
        switch (node)
        {
            case TextNode text:
                pattern.Append(Regex.Escape(text.Text).Replace("]", "\\]").Replace("}", "\\}"));
                break;
            case WhitespaceNode ws:
                pattern.Append(Regex.Escape(ws.Text));
                break;
            case OptionalNode optional:
                pattern.Append("(?:");
                foreach (var child in optional.Children) Emit(child, registry, parameters, pattern);
                pattern.Append(")?");
                break;
            case AlternationNode alternation:
                pattern.Append("(?:");
                for (var i = 0; i < alternation.Alternatives.Count; i++)
                {
                    if (i > 0) pattern.Append('|');
                    foreach (var child in alternation.Alternatives[i]) Emit(child, registry, parameters, pattern);
                }
                pattern.Append(')');
                break;
            case ParameterNode parameter:
                var type = registry.Find(parameter.Name)
                    ?? throw new CucumberExpressionException(Source, parameter.Position,
                        $"undefined parameter type {{{parameter.Name}}}; known: {string.Join(", ", registry.Names.Select(n => "{" + n + "}"))}");
                pattern.Append("(?<").Append(GroupName(parameters.Count)).Append('>');
                pattern.Append(string.Join('|', type.Regexes.Select(r => "(?:" + r + ")")));
                pattern.Append(')');
                parameters.Add(type);
                break;
        }
    }

    // ---- parsing: text → tokens → nodes ----

    private abstract record Node(int Position);
    private sealed record TextNode(int Position, string Text) : Node(Position);
    private sealed record WhitespaceNode(int Position, string Text) : Node(Position);
    private sealed record OptionalNode(int Position, IReadOnlyList<Node> Children) : Node(Position);
    private sealed record ParameterNode(int Position, string Name) : Node(Position);
    private sealed record AlternationNode(int Position, IReadOnlyList<IReadOnlyList<Node>> Alternatives) : Node(Position);
    private sealed record SlashNode(int Position) : Node(Position);

    private List<Node> Parse(string source)
    {
        var flat = new List<Node>();
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == '{')
            {
                var end = source.IndexOf('}', i + 1);
                if (end < 0) throw Error(i, "'{' is never closed; escape it as '\\{' to match it literally");
                var name = source[(i + 1)..end];
                if (name.IndexOfAny(['{', '(', ')', '/', '\\', ' ']) >= 0)
                    throw Error(i, $"parameter name '{name}' may not contain '{{', '(', ')', '/', '\\' or whitespace");
                flat.Add(new ParameterNode(i + 1, name));
                i = end + 1;
            }
            else if (c == '(')
            {
                var (optional, next) = ParseOptional(source, i);
                flat.Add(optional);
                i = next;
            }
            else if (c == ')')
            {
                throw Error(i, "')' has no matching '('; escape it as '\\)' to match it literally");
            }
            else if (c == '}')
            {
                throw Error(i, "'}' has no matching '{'; escape it as '\\}' to match it literally");
            }
            else if (c == '/')
            {
                flat.Add(new SlashNode(i + 1));
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                var start = i;
                while (i < source.Length && char.IsWhiteSpace(source[i])) i++;
                flat.Add(new WhitespaceNode(start + 1, source[start..i]));
            }
            else
            {
                var (text, next) = ReadText(source, i, stopAtSlash: true);
                flat.Add(new TextNode(i + 1, text));
                i = next;
            }
        }
        return GroupAlternations(flat);
    }

    private (OptionalNode Node, int Next) ParseOptional(string source, int open)
    {
        var children = new List<Node>();
        var i = open + 1;
        while (true)
        {
            if (i >= source.Length) throw Error(open, "'(' is never closed; escape it as '\\(' to match it literally");
            var c = source[i];
            if (c == ')') break;
            if (c == '(') throw Error(i, "optional text may not be nested");
            if (c == '{') throw Error(i, "optional text may not contain a parameter");
            if (c == '/') throw Error(i, "optional text may not contain an alternation; write (a)/(b) or a/b");
            var (text, next) = ReadText(source, i, stopAtSlash: true, stopAtWhitespace: false);
            children.Add(new TextNode(i + 1, text));
            i = next;
        }
        if (children.Count == 0) throw Error(open, "optional text may not be empty");
        return (new OptionalNode(open + 1, children), i + 1);
    }

    private (string Text, int Next) ReadText(string source, int start, bool stopAtSlash, bool stopAtWhitespace = true)
    {
        var text = new StringBuilder();
        var i = start;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == '\\')
            {
                if (i + 1 >= source.Length) throw Error(i, "'\\' at the end escapes nothing");
                var escaped = source[i + 1];
                if (escaped is not ('(' or ')' or '{' or '}' or '/' or '\\') && !char.IsWhiteSpace(escaped))
                    throw Error(i, $"'\\{escaped}' is not a valid escape; only ( ) {{ }} / \\ and whitespace can be escaped");
                text.Append(escaped);
                i += 2;
                continue;
            }
            if (c is '(' or ')' or '{' or '}' || (stopAtSlash && c == '/') || (stopAtWhitespace && char.IsWhiteSpace(c))) break;
            text.Append(c);
            i++;
        }
        return (text.ToString(), i);
    }

    /// <summary>Turns runs like <c>belly/stomach</c> (between whitespace or parameters) into alternations.</summary>
    private List<Node> GroupAlternations(List<Node> flat)
    {
        var result = new List<Node>();
        var run = new List<Node>();
        void Flush()
        {
            if (run.Count == 0) return;
            if (run.OfType<SlashNode>().Any())
            {
                var alternatives = new List<IReadOnlyList<Node>>();
                var current = new List<Node>();
                foreach (var node in run)
                {
                    if (node is SlashNode slash)
                    {
                        CheckAlternative(current, slash.Position);
                        alternatives.Add(current);
                        current = [];
                    }
                    else current.Add(node);
                }
                CheckAlternative(current, run[^1].Position);
                alternatives.Add(current);
                result.Add(new AlternationNode(run[0].Position, alternatives));
            }
            else result.AddRange(run);
            run.Clear();
        }
        foreach (var node in flat)
        {
            if (node is WhitespaceNode or ParameterNode)
            {
                Flush();
                result.Add(node);
            }
            else run.Add(node);
        }
        Flush();
        return result;
    }

    private void CheckAlternative(List<Node> alternative, int position)
    {
        if (alternative.Count == 0) throw Error(position - 1, "an alternative may not be empty");
        if (alternative.All(n => n is OptionalNode)) throw Error(position - 1, "an alternative may not consist of optional text only");
    }

    private CucumberExpressionException Error(int index, string reason) => new(Source, index + 1, reason);

    public override string ToString() => Source;
}
