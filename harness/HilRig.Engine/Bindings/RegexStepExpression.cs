using System.Text.RegularExpressions;

namespace HilRig.Engine.Bindings;

/// <summary>
/// A step pattern written as a regular expression (Cucumber's convention: it starts with <c>^</c> or ends
/// with <c>$</c>). Each capturing group is one argument, converted to the method's parameter type.
/// </summary>
public sealed class RegexStepExpression : IStepExpression
{
    private readonly Regex _regex;

    public RegexStepExpression(string source)
    {
        Source = source;
        var pattern = source;
        if (!pattern.StartsWith('^')) pattern = "^" + pattern;
        if (!pattern.EndsWith('$')) pattern += "$";
        try
        {
            _regex = new Regex(pattern, RegexOptions.CultureInvariant);
        }
        catch (RegexParseException e)
        {
            throw new StepBindingException($"invalid regular expression \"{source}\" at position {e.Offset}: {e.Error}");
        }
    }

    public string Source { get; }

    /// <summary>Numbered capturing groups, one per argument.</summary>
    public int GroupCount => _regex.GetGroupNames().Count(n => int.TryParse(n, out var i) && i > 0);

    public IReadOnlyList<StepArgumentMatch>? Match(string text)
    {
        var m = _regex.Match(text);
        if (!m.Success) return null;
        var args = new List<StepArgumentMatch>();
        for (var i = 1; i < m.Groups.Count; i++)
        {
            var g = m.Groups[i];
            if (int.TryParse(g.Name, out _)) args.Add(new StepArgumentMatch(g.Value, g.Success ? g.Index : -1, null));
        }
        return args;
    }

    public override string ToString() => Source;
}
