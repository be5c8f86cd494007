using HilRig.Engine.Bindings;

namespace HilRig.Rig.Locking;

/// <summary>Run-wide rig settings the host sets from its command line (<c>--lock-timeout</c>).</summary>
[RunScoped]
public sealed class RigRunSettings
{
    /// <summary>How long to wait for a board another run holds before the scenario is a rig fault.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>Whether physical boards are locked at all (unit tests that build boards by hand do not).</summary>
    public bool LockBoards { get; set; } = true;
}
