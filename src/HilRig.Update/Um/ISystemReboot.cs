namespace HilRig.Update.Um;

/// <summary>
/// Reboots the node. On a device the process ends here and the node boots again; in-process tests throw
/// <see cref="SystemRebootException"/>, which unwinds the UM the way a reboot ends it, and start a new UM on the same
/// state. <see cref="BootId"/> changes with every boot, which is how a module tells it was rebooted.
/// </summary>
public interface ISystemReboot
{
    string BootId { get; }

    /// <summary>Does not return normally.</summary>
    Task RebootAsync(string reason, CancellationToken ct);
}

/// <summary>Thrown by an in-process <see cref="ISystemReboot"/>: everything after the reboot point is lost, as on a real reboot.</summary>
public sealed class SystemRebootException(string reason) : Exception($"system reboot: {reason}");

/// <summary>The boot id of a Linux host (<c>/proc/sys/kernel/random/boot_id</c>) or one a process board's device hands in.</summary>
public sealed class ProcessSystemReboot(string bootId, Func<string, Task> reboot) : ISystemReboot
{
    public string BootId => bootId;

    public async Task RebootAsync(string reason, CancellationToken ct)
    {
        await reboot(reason);
        await Task.Delay(Timeout.Infinite, ct);
    }
}
