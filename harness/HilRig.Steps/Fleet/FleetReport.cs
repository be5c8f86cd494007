namespace HilRig.Steps.Fleet;

/// <summary>
/// What a fleet update came to: the units' own outcomes (<see cref="Failures"/> names each unit that did not update
/// and why) and the cloud's dashboard figures after it.
/// </summary>
public sealed record FleetReport(int Units, int Updated, int Failed, double Seconds, double CheckInsPerSecond, double StartSeconds, long WorkingSetMiB,
    IReadOnlyList<string> Failures, int CloudUnits, double CloudOnTargetPercent, int CloudFailed);
