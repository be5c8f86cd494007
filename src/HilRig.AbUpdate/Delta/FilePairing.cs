using HilRig.AbUpdate.Ext4;

namespace HilRig.AbUpdate.Delta;

/// <summary>How a new file found the old file it is diffed against.</summary>
public enum PairedBy
{
    None,
    /// <summary>The same path in both images.</summary>
    Path,
    /// <summary>OSTree's rule: the same name (or the same name once version digits are dropped) and a size within 30%.</summary>
    SimilarName,
}

/// <summary>
/// Pairs each file of the new filesystem with its old version: the same path and kind; otherwise, as OSTree's static
/// deltas do, an old file of the same kind with the same base name and a size within ±30% (then, the same name with its
/// digits dropped, so libfoo.so.1.2 finds libfoo.so.1.3), the closest in size, ties broken by path.
/// </summary>
public sealed class FilePairing
{
    public const double SizeSimilarity = 0.30;
    private readonly Dictionary<string, Ext4Entry> _byPath;
    private readonly Dictionary<string, List<Ext4Entry>> _byName = new();
    private readonly Dictionary<string, List<Ext4Entry>> _byFuzzyName = new();

    public FilePairing(IEnumerable<Ext4Entry> oldEntries)
    {
        var withData = oldEntries.Where(e => e.DataBlocks > 0).ToList();
        _byPath = withData.ToDictionary(e => e.Path, StringComparer.Ordinal);
        foreach (var e in withData.Where(e => e.Kind == Ext4EntryKind.File))
        {
            Add(_byName, e.Name, e);
            Add(_byFuzzyName, Fuzzy(e.Name), e);
        }
    }

    private static void Add(Dictionary<string, List<Ext4Entry>> map, string key, Ext4Entry e)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = new List<Ext4Entry>();
        list.Add(e);
    }

    /// <summary>A name with its digits dropped: "libssl.so.3" and "libssl.so.4" meet, and so do "python3.11" and "python3.12".</summary>
    public static string Fuzzy(string name) => string.Concat(name.Where(c => !char.IsAsciiDigit(c)));

    public (Ext4Entry? Old, PairedBy How) Find(Ext4Entry newEntry)
    {
        if (_byPath.TryGetValue(newEntry.Path, out var same) && same.Kind == newEntry.Kind) return (same, PairedBy.Path);
        if (newEntry.Kind != Ext4EntryKind.File) return (null, PairedBy.None);
        var best = Closest(_byName.GetValueOrDefault(newEntry.Name), newEntry.Size) ??
                   Closest(_byFuzzyName.GetValueOrDefault(Fuzzy(newEntry.Name)), newEntry.Size);
        return best is null ? (null, PairedBy.None) : (best, PairedBy.SimilarName);
    }

    private static Ext4Entry? Closest(List<Ext4Entry>? candidates, long size)
    {
        if (candidates is null) return null;
        Ext4Entry? best = null;
        foreach (var c in candidates)
        {
            if (Math.Abs(c.Size - size) > size * SizeSimilarity) continue;
            if (best is null || Math.Abs(c.Size - size) < Math.Abs(best.Size - size) ||
                (Math.Abs(c.Size - size) == Math.Abs(best.Size - size) && string.CompareOrdinal(c.Path, best.Path) < 0))
                best = c;
        }
        return best;
    }
}
