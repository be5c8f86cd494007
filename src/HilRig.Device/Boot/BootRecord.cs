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

    /// <summary>Counts this boot and works out its reason; the clean mark is consumed so a later cut is noticed.</summary>
    public void Begin(string announcedReason)
    {
        var previous = File.Exists(_countFile) && int.TryParse(File.ReadAllText(_countFile).Trim(), out var n) ? n : 0;
        var wasClean = File.Exists(_cleanFile);
        BootNumber = previous + 1;
        Reason = previous > 0 && !wasClean ? "power-loss" : announcedReason;
        DurableFile.WriteText(_countFile, BootNumber.ToString());
        DurableFile.Delete(_cleanFile);
    }

    /// <summary>Marks an orderly shutdown (poweroff or reboot), so the next boot is not taken for a power loss.</summary>
    public void MarkClean() => DurableFile.WriteText(_cleanFile, Reason);
}
