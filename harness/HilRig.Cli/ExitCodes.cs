namespace HilRig.Cli;

/// <summary>The exit codes of every hilrig command (DESIGN.md "Contracts").</summary>
public static class ExitCodes
{
    /// <summary>Everything passed.</summary>
    public const int Passed = 0;

    /// <summary>A scenario (or the checked thing) failed.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage, or a feature, tag expression or rig file that does not parse.</summary>
    public const int Usage = 2;

    /// <summary>The rig or infrastructure could not do its job.</summary>
    public const int RigFault = 3;
}
