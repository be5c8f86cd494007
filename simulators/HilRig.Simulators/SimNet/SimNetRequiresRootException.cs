namespace HilRig.Simulators.SimNet;

/// <summary>
/// SimNet cannot create network namespaces and TAP devices without root (CAP_NET_ADMIN + CAP_SYS_ADMIN).
/// The message says what cannot run, so a non-root run reports those scenarios as not runnable rather than failed.
/// </summary>
public sealed class SimNetRequiresRootException(string what)
    : InvalidOperationException($"{what} needs root: SimNet puts each process board and the cloud in its own network namespace " +
                                "behind a TAP device, and only root may create those. Scenarios on SimNet hosts (the default rig's " +
                                "process boards and cloud) cannot run as this user; run as root, or use a rig without SimNet hosts.")
{
    public static void ThrowIfNotRoot(string what)
    {
        if (Native.geteuid() != 0) throw new SimNetRequiresRootException(what);
    }
}
