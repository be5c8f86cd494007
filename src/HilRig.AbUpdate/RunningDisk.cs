using HilRig.Storage;

namespace HilRig.AbUpdate;

/// <summary>
/// A fresh A/B disk image that runs one release: GPT, release installed into slot A through the real installer, booted
/// once and marked good — what a factory writes. The board image builder and the A/B steps make their disks with it.
/// </summary>
public static class RunningDisk
{
    /// <summary>
    /// Creates <paramref name="path"/> with <paramref name="image"/> as <paramref name="version"/> in slot A, confirmed;
    /// returns that slot's info. With <paramref name="signature"/>, slot A's root carries it (and the first boot checks it
    /// against <paramref name="keyring"/> when one is given), as on a device that trusts only signed roots.
    /// </summary>
    public static SlotInfo Create(string path, AbLayout layout, Stream image, string version, Func<Guid>? guids = null,
        RootSignatureFile? signature = null, ReleaseKeyring? keyring = null)
    {
        using var device = FileBlockDevice.Create(path, layout.DiskBytes, layout.SectorSize);
        var disk = AbDisk.Create(device, layout, guids);
        new AbUpdater(disk) { Keyring = keyring }.Install(image, new InstallRequest(version) { RootSignature = signature });
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck with { Keyring = keyring });
        if (boot.Slot is null) throw new AbStateException($"{path}: the fresh disk does not boot: {boot.Error}");
        var info = new AbUpdater(disk, boot.Slot).MarkGood();
        device.Flush();
        return info;
    }
}
