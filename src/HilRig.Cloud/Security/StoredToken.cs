namespace HilRig.Cloud.Security;

/// <summary>An operator token as the cloud keeps it: never the token itself, only its SHA-256.</summary>
public sealed record StoredToken(string Id, string Sha256, OperatorRole Roles, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null);
