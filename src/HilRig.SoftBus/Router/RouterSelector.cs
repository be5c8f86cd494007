namespace HilRig.SoftBus.Router;

/// <summary>
/// Ranks the routers heard in one selection window (ajtcl aj_connect.c, 15.04 router selection): the highest protocol
/// version first, then the lowest SRV priority; routers equal on both are ordered by the seeded generator, so a run
/// replays with its seed. Routers below the minimum version or on the blacklist never make the list.
/// </summary>
public sealed class RouterSelector(Random random, int minimumProtocolVersion = NameServiceQuery.AllJoynProtocolVersion)
{
    public int MinimumProtocolVersion { get; } = minimumProtocolVersion;

    /// <summary>Why a candidate is not eligible, or null if it is.</summary>
    public string? Reject(RouterCandidate c, RouterBlacklist blacklist)
    {
        if (blacklist.Contains(c.Endpoint)) return $"{c} is blacklisted";
        if (c.ProtocolVersion < MinimumProtocolVersion) return $"{c} is older than ajpv {MinimumProtocolVersion}";
        return null;
    }

    /// <summary>The eligible candidates, best first (each router once: a repeated answer keeps its first).</summary>
    public IReadOnlyList<RouterCandidate> Rank(IEnumerable<RouterCandidate> heard, RouterBlacklist blacklist)
    {
        var eligible = heard.DistinctBy(c => c.Endpoint).Where(c => Reject(c, blacklist) is null).ToList();
        var result = new List<RouterCandidate>(eligible.Count);
        foreach (var tier in eligible.GroupBy(c => (c.ProtocolVersion, c.Priority)).OrderByDescending(g => g.Key.ProtocolVersion).ThenBy(g => g.Key.Priority))
        {
            var ties = tier.ToList();
            lock (random) random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ties));
            result.AddRange(ties);
        }
        return result;
    }
}
