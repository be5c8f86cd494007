using Reqnroll;

namespace HilRig.Engine.Bindings;

/// <summary>Readings of a Reqnroll table that Assist has no word for.</summary>
public static class TableExtensions
{
    /// <summary>
    /// A two-column table read as key → value with no header: Reqnroll takes the first row for the header, so it is
    /// the first pair here (<c>| board | dut |</c> then <c>| firmware | 1.0.0 |</c>).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ToKeyValues(this Table table)
    {
        if (table.Header.Count != 2)
            throw new FormatException($"a key/value table needs 2 columns, this one has {table.Header.Count}");
        var header = table.Header.ToList();
        var pairs = new Dictionary<string, string> { [header[0]] = header[1] };
        foreach (var row in table.Rows) pairs[row[0]] = row[1];
        return pairs;
    }

    /// <summary>Every row after the header as a column-name → cell map.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> ToDictionaries(this Table table) =>
        table.Rows.Select(r => (IReadOnlyDictionary<string, string>)r.ToDictionary(kv => kv.Key, kv => kv.Value)).ToList();
}
