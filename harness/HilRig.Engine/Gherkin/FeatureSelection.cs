namespace HilRig.Engine.Gherkin;

/// <summary>
/// A command-line feature argument: a file or directory, optionally followed by <c>:LINE</c> (repeatable)
/// selecting the scenario, outline, Examples table, Examples row or Rule on that line.
/// </summary>
public sealed record FeatureSelection(string Path, IReadOnlyList<int> Lines)
{
    public static FeatureSelection Parse(string argument)
    {
        var lines = new List<int>();
        var path = argument;
        while (true)
        {
            var colon = path.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(path.AsSpan(colon + 1), out var line) || line <= 0) break;
            lines.Insert(0, line);
            path = path[..colon];
        }
        return new FeatureSelection(path, lines);
    }
}
