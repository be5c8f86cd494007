namespace HilRig.Update.Cm;

/// <summary>What one check-in cycle did: nothing (and the cloud's reason), or an update with its outcome.</summary>
public sealed record CheckInResult(bool Offered, string Reason, UpdateOutcome? Outcome = null);
