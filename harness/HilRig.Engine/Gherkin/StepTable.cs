namespace HilRig.Engine.Gherkin;

/// <summary>
/// A Gherkin data table as written under a step: rows of cells, placeholders filled in. Bindings usually take
/// Reqnroll's <c>DataTable</c> (built from this, first row as header); this is the raw form reports print.
/// </summary>
public sealed record StepTable(int Line, IReadOnlyList<IReadOnlyList<string>> Rows) : StepArgument(Line)
{
    public int ColumnCount => Rows.Count > 0 ? Rows[0].Count : 0;

    public override string ToString()
    {
        var widths = Enumerable.Range(0, ColumnCount).Select(c => Rows.Max(r => r[c].Length)).ToArray();
        return string.Join('\n', Rows.Select(r => "| " + string.Join(" | ", r.Select((cell, i) => cell.PadRight(widths[i]))) + " |"));
    }
}
