namespace HilRig.Update.Cm;

/// <summary>How an update ended on the unit: installed, or reverted/refused with a wire reason and detail.</summary>
public sealed record UpdateOutcome(long ImageVersion, bool Success, string? Reason = null, string? Detail = null)
{
    /// <summary>The wire reason of an update whose UMs did not connect or answer within the step timeout.</summary>
    public const string UmTimeout = "um-timeout";

    public static UpdateOutcome Installed(long version) => new(version, true);
}
