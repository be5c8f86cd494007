namespace HilRig.Update.Cloud;

/// <summary>
/// The upgrade server figure of seed 000: units currently online, the share on their target version, updates in
/// progress now, failed upgrades in the last 7 days, groups with target and devices on target, ungrouped units.
/// </summary>
public sealed record DashboardFigures(
    int CurrentlyOnline,
    int Units,
    double OnTargetPercent,
    int InProgressNow,
    int FailedLast7Days,
    IReadOnlyList<GroupFigure> Groups,
    IReadOnlyList<UnitFigure> Ungrouped)
{
    public static readonly TimeSpan FailureWindow = TimeSpan.FromDays(7);

    public static DashboardFigures Compute(
        IReadOnlyCollection<UnitRecord> units,
        IReadOnlyCollection<GroupRecord> groups,
        IReadOnlyDictionary<string, PlatformVersions> platforms,
        IReadOnlyCollection<UpdateResult> results,
        DateTimeOffset now,
        TimeSpan onlineWindow)
    {
        var groupByName = groups.ToDictionary(g => g.Name);
        long? TargetOf(UnitRecord u)
        {
            platforms.TryGetValue(u.PlatformId, out var versions);
            if (u.Group is { } name && groupByName.TryGetValue(name, out var g) && g.TargetVersion is { } t && versions?.Available.Contains(t) == true) return t;
            return versions?.Latest;
        }
        bool OnTarget(UnitRecord u) => TargetOf(u) is { } t && u.ImageVersion == t;

        var online = units.Count(u => now - u.LastSeen <= onlineWindow);
        var share = units.Count == 0 ? 0 : Math.Round(100.0 * units.Count(OnTarget) / units.Count, 1);
        var failed = results.Count(r => !r.Success && now - r.At <= FailureWindow);
        var groupFigures = groups.OrderBy(g => g.Name, StringComparer.Ordinal).Select(g =>
        {
            var members = units.Where(u => u.Group == g.Name).ToList();
            return new GroupFigure(g.Name, g.PlatformId, g.TargetVersion, members.Count(OnTarget), members.Count);
        }).ToList();
        var ungrouped = units.Where(u => u.Group is null || !groupByName.ContainsKey(u.Group))
            .OrderByDescending(u => u.LastSeen).ThenBy(u => u.UnitId, StringComparer.Ordinal)
            .Select(u => new UnitFigure(u.UnitId, u.PlatformId, u.ImageVersion, TargetOf(u), u.LastSeen, now - u.LastSeen <= onlineWindow))
            .ToList();
        return new DashboardFigures(online, units.Count, share, units.Count(u => u.UpdateInProgress), failed, groupFigures, ungrouped);
    }
}

public sealed record GroupFigure(string Name, string PlatformId, long? Target, int OnTarget, int Devices);

public sealed record UnitFigure(string UnitId, string PlatformId, long Version, long? Target, DateTimeOffset LastSeen, bool Online);
