namespace HilRig.Engine.Gherkin;

/// <summary>A Gherkin data table as a step receives it. The first row is the header by convention.</summary>
public sealed record DataTable(int Line, IReadOnlyList<IReadOnlyList<string>> Rows) : StepArgument(Line)
{
    public IReadOnlyList<string> Header => Rows.Count > 0 ? Rows[0] : [];

    public int ColumnCount => Header.Count;

    /// <summary>Every row after the header as a column-name → cell map.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> ToDictionaries()
    {
        var header = Header;
        return Rows.Skip(1)
            .Select(r => (IReadOnlyDictionary<string, string>)header.Select((h, i) => (h, v: r[i])).ToDictionary(x => x.h, x => x.v))
            .ToList();
    }

    /// <summary>A two-column table read as key → value (no header).</summary>
    public IReadOnlyDictionary<string, string> ToKeyValues()
    {
        if (ColumnCount != 2)
            throw new FormatException($"a key/value table needs 2 columns, this one (line {Line}) has {ColumnCount}");
        return Rows.ToDictionary(r => r[0], r => r[1]);
    }

    public override string ToString()
    {
        var widths = Enumerable.Range(0, ColumnCount).Select(c => Rows.Max(r => r[c].Length)).ToArray();
        return string.Join('\n', Rows.Select(r => "| " + string.Join(" | ", r.Select((cell, i) => cell.PadRight(widths[i]))) + " |"));
    }
}
