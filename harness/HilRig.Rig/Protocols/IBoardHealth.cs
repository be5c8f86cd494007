namespace HilRig.Rig.Protocols;

/// <summary>Why a board stopped when nobody asked it to, so a wait can fail at once with the reason instead of timing out.</summary>
public interface IBoardHealth
{
    /// <summary>Set when the board stopped unexpectedly since it was last powered on.</summary>
    string? StopReason { get; }

    /// <summary>Whether the stop was the harness's fault (e.g. the device rejected how it was started).</summary>
    bool StopWasRigFault { get; }
}
