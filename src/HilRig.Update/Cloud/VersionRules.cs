namespace HilRig.Update.Cloud;

/// <summary>
/// Seed 001, Update procedure: the unit's image version against the cloud's. Equal → the procedure ends; lower →
/// the next cloud version (one step, never skipping); higher → the previous version (the highest available below
/// the unit's). The cloud's version is the platform's latest, or the target of the unit's group (seed 000).
/// </summary>
public static class VersionRules
{
    public static (UpdateDirection Direction, long? Version) Decide(long unitVersion, long? target, IReadOnlyList<long> available)
    {
        if (target is not { } cloud || unitVersion == cloud) return (UpdateDirection.None, null);
        if (unitVersion < cloud)
        {
            var next = available.Where(v => v > unitVersion && v <= cloud).DefaultIfEmpty(-1).Min();
            return next < 0 ? (UpdateDirection.None, null) : (UpdateDirection.Next, next);
        }
        var previous = available.Where(v => v < unitVersion && v >= cloud).DefaultIfEmpty(-1).Max();
        return previous < 0 ? (UpdateDirection.None, null) : (UpdateDirection.Previous, previous);
    }
}
