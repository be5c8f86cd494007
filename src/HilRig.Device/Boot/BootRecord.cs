using HilRig.Update.Storage;

namespace HilRig.Device.Boot;

/// <summary>
/// What the device remembers about its boots, in its data directory: how many there were, and whether the
/// last one ended with an orderly shutdown. A boot without that mark followed a power loss or a crash.
/// </summary>
public sealed class BootRecord
{
    private readonly string _countFile;
    private readonly string _cleanFile;

    public BootRecord(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        _countFile = Path.Combine(dataDirectory, "boot-count");
        _cleanFile = Path.Combine(dataDirectory, "clean-shutdown");
    }

    public int BootNumber { get; private set; }

    public string Reason { get; private set; } = "power-on";

    /// <summary>
    /// Counts this boot and works out its reason; the clean mark is consumed so a later cut is noticed. A board that
    /// reboots without its driver restarting it (a QEMU guest resets in place) knows from its own mark that it rebooted.
    /// </summary>
    public void Begin(string announcedReason)
    {
        var previous = File.Exists(_countFile) && int.TryParse(File.ReadAllText(_countFile).Trim(), out var n) ? n : 0;
        var clean = File.Exists(_cleanFile) ? File.ReadAllText(_cleanFile).Trim() : null;
        BootNumber = previous + 1;
        Reason = previous > 0 && clean is null ? "power-loss" : clean == "reboot" ? "reboot" : announcedReason;
        DurableFile.WriteText(_countFile, BootNumber.ToString());
        DurableFile.Delete(_cleanFile);
    }

    /// <summary>Marks an orderly shutdown (<c>poweroff</c> or <c>reboot</c>), so the next boot is not taken for a power loss.</summary>
    public void MarkClean(string shutdown) => DurableFile.WriteText(_cleanFile, shutdown);
}
