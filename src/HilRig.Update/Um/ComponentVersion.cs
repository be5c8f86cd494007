namespace HilRig.Update.Um;

/// <summary>
/// Orders component versions the way the UM's downgrade check needs: dot-separated parts, numeric parts compared as
/// numbers, others ordinally, a pre-release suffix (<c>1.0-rc1</c>) before its release (semver precedence).
/// </summary>
public static class ComponentVersion
{
    public static int Compare(string a, string b)
    {
        var (coreA, preA) = Split(a);
        var (coreB, preB) = Split(b);
        var partsA = coreA.Split('.');
        var partsB = coreB.Split('.');
        for (var i = 0; i < Math.Max(partsA.Length, partsB.Length); i++)
        {
            var pa = i < partsA.Length ? partsA[i] : "0";
            var pb = i < partsB.Length ? partsB[i] : "0";
            var c = ComparePart(pa, pb);
            if (c != 0) return c;
        }
        if (preA is null) return preB is null ? 0 : 1;
        if (preB is null) return -1;
        return ComparePart(preA, preB);
    }

    private static (string Core, string? Pre) Split(string v)
    {
        v = v.Trim().TrimStart('v');
        var plus = v.IndexOf('+');
        if (plus >= 0) v = v[..plus];
        var dash = v.IndexOf('-');
        return dash < 0 ? (v, null) : (v[..dash], v[(dash + 1)..]);
    }

    private static int ComparePart(string a, string b) =>
        long.TryParse(a, out var na) && long.TryParse(b, out var nb) ? na.CompareTo(nb) : string.CompareOrdinal(a, b);
}
