namespace HilRig.Update.Cm;

/// <summary>How an update ended on the unit: installed, or reverted/refused with a wire reason and detail.</summary>
public sealed record UpdateOutcome(long ImageVersion, bool Success, string? Reason = null, string? Detail = null)
{
    public static UpdateOutcome Installed(long version) => new(version, true);
}
