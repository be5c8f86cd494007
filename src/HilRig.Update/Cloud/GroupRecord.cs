namespace HilRig.Update.Cloud;

/// <summary>Devices that share a target version and are upgraded together (seed 000, Groups).</summary>
public sealed record GroupRecord(string Name, string PlatformId, long? TargetVersion);
