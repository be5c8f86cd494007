namespace HilRig.Update.Cloud;

/// <summary>What the cloud knows about one unit.</summary>
public sealed record UnitRecord(
    string UnitId,
    string PlatformId,
    long ImageVersion,
    DateTimeOffset LastSeen,
    string? Group = null,
    DateTimeOffset? LastAutomaticOffer = null,
    bool ManualTriggerPending = false,
    long? OfferedVersion = null,
    DateTimeOffset? OfferedAt = null)
{
    /// <summary>An offer is outstanding until the unit reports a result or checks in on the offered version.</summary>
    public bool UpdateInProgress => OfferedVersion is not null;
}
