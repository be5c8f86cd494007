namespace HilRig.Cloud.Security;

/// <summary>A unit certificate the cloud's CA issued, by serial (upper-case hex), and whether it was revoked.</summary>
public sealed record IssuedCertificate(string Serial, string UnitId, DateTimeOffset NotBefore, DateTimeOffset NotAfter, DateTimeOffset IssuedAt, DateTimeOffset? RevokedAt = null);
