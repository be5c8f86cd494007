namespace HilRig.Update.Cloud;

/// <summary>An operation the version rules of seed 001 forbid (deleting a version that is not the latest, …).</summary>
public sealed class VersionRuleException(string message) : Exception(message);
