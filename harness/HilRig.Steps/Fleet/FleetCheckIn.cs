using HilRig.Update.Cm;

namespace HilRig.Steps.Fleet;

/// <summary>A unit's check-in: the update outcome if one ran, or the error that ended it.</summary>
public sealed record FleetCheckIn(string UnitId, UpdateOutcome? Outcome, string? Error)
{
    public string Describe() => Error is { } e ? $"{UnitId}: {e}"
        : Outcome is { } o ? $"{UnitId}: {(o.Success ? "installed" : "failed")} {o.ImageVersion} {o.Reason} {o.Detail}".TrimEnd()
        : $"{UnitId}: not offered an update";
}
