namespace HilRig.Update.Cloud;

/// <summary>The outcome a CM reports for one update attempt; <see cref="Reason"/> is a wire reason such as <c>sha256-mismatch</c>.</summary>
public sealed record UpdateResult(string UnitId, long ImageVersion, bool Success, string? Reason, string? Detail, DateTimeOffset At);
