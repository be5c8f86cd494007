namespace HilRig.Rig.Protocols;

/// <summary>
/// The board's main device process as a fault plan kills it: SIGKILL, no clean shutdown and no power event, so the board
/// reports an unexpected exit. A container board kills its agent (the container's PID 1).
/// </summary>
public interface IDeviceProcessProtocol
{
    /// <summary>Kills the device process; completes once the board has seen it exit.</summary>
    Task KillDeviceProcessAsync(CancellationToken cancellation);
}
