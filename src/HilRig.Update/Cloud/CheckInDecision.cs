namespace HilRig.Update.Cloud;

/// <summary>The outcome of one check-in and why, so a test or the dashboard can say what the cloud decided.</summary>
public sealed record CheckInDecision(UpdateDirection Direction, long? ImageVersion, bool Manual, string Reason)
{
    public bool Offers => Direction != UpdateDirection.None;
}
