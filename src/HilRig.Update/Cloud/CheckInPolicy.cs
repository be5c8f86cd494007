namespace HilRig.Update.Cloud;

/// <summary>
/// One unit check-in (unit id, platform id, current version) → the new unit record and the decision: the version
/// rules pick the step, the throttle holds back automatic offers, a pending manual trigger bypasses it and is used up.
/// Pure: the cloud service loads the records, calls this, and stores the result in one transaction.
/// </summary>
public static class CheckInPolicy
{
    public static (UnitRecord Unit, CheckInDecision Decision) Evaluate(
        UnitRecord? known, string unitId, string platformId, long unitVersion,
        PlatformVersions versions, long? groupTarget, OfferThrottle throttle, DateTimeOffset now)
    {
        var unit = (known ?? new UnitRecord(unitId, platformId, unitVersion, now)) with
        {
            PlatformId = platformId,
            ImageVersion = unitVersion,
            LastSeen = now,
        };
        // A unit that checks in on the version it was offered has finished that update.
        if (unit.OfferedVersion == unitVersion) unit = unit with { OfferedVersion = null, OfferedAt = null };

        var target = groupTarget is { } g && versions.Available.Contains(g) ? g : versions.Latest;
        var (direction, version) = VersionRules.Decide(unitVersion, target, versions.Available);
        if (direction == UpdateDirection.None)
        {
            var why = target is null ? $"platform '{platformId}' has no image" : $"unit is on the cloud version {target}";
            return (unit, new CheckInDecision(UpdateDirection.None, null, false, why));
        }

        var manual = unit.ManualTriggerPending;
        if (!throttle.Allows(unit.LastAutomaticOffer, now, manual))
            return (unit, new CheckInDecision(UpdateDirection.None, null, false,
                $"{direction.ToString().ToLowerInvariant()} version {version} held back until {throttle.NextAllowed(unit.LastAutomaticOffer):O} (throttle {throttle.Period})"));

        unit = unit with
        {
            ManualTriggerPending = false,
            LastAutomaticOffer = manual ? unit.LastAutomaticOffer : now,
            OfferedVersion = version,
            OfferedAt = now,
        };
        return (unit, new CheckInDecision(direction, version, manual,
            $"unit on {unitVersion}, cloud on {target}: {direction.ToString().ToLowerInvariant()} version {version}{(manual ? " (manual trigger)" : "")}"));
    }
}
