namespace HilRig.Rig.Protocols;

/// <summary>A bootloader on the board's console (U-Boot, barebox): stop its autoboot, run its commands, boot on.</summary>
public interface IBootloaderProtocol
{
    /// <summary>Waits for the autoboot countdown of this boot, stops it and waits for the prompt.</summary>
    Task StopAutobootAsync(CancellationToken cancellation = default);

    /// <summary>Runs a command at the bootloader prompt and returns what it printed.</summary>
    Task<string> RunAsync(string command, TimeSpan timeout, CancellationToken cancellation = default);

    /// <summary>Sends the boot command; the boot continues to the shell.</summary>
    Task BootAsync(CancellationToken cancellation = default);
}
