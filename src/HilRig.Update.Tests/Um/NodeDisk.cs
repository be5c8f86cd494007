using HilRig.AbUpdate;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;
using HilRig.Update.Um;

namespace HilRig.Update.Tests.Um;

/// <summary>
/// A node's A/B disk that outlives its boots, as a process board's disk image does: the media is memory, and every boot
/// puts a fresh power-loss device over it and runs what the device's AbBootService runs — the bootloader (full Merkle
/// check), then the health check of a pending slot (its release manifest). A boot whose health check fails reboots
/// before the UM starts, so <see cref="Boot"/> returns the first boot that comes up.
/// </summary>
internal sealed class NodeDisk
{
    public const long SlotCapacity = 2 << 20;
    public const long ReleaseSize = 1 << 20;

    private NodeDisk(MemoryBlockDevice media, ReleaseKeyring? keyring)
    {
        Media = media;
        Keyring = keyring;
    }

    public MemoryBlockDevice Media { get; }

    /// <summary>The release keys the node's boot trusts; null: roots are not signature-checked.</summary>
    public ReleaseKeyring? Keyring { get; }

    private BootPolicy Policy => BootPolicy.FullCheck with { Keyring = Keyring };

    /// <summary>This boot's disk device: count its operations to prove a step wrote nothing; set its plan to cut power.</summary>
    public PowerLossDevice Device { get; private set; } = null!;

    public BootedDisk Booted { get; private set; } = null!;

    /// <summary>Every boot's result, power-ons and reboots alike, including the ones whose health check failed.</summary>
    public List<BootResult> Boots { get; } = new();

    public static byte[] Release(string version, bool healthy = true) => new ReleaseManifest(version, healthy ? "ok" : "fail").Build(ReleaseSize);

    /// <summary>
    /// A disk whose slot A runs <paramref name="version"/>, confirmed; slot B empty. With <paramref name="signer"/>, the
    /// release's root is signed and the node's boot trusts only that key's signatures.
    /// </summary>
    public static NodeDisk Running(string version, ReleaseSigner? signer = null)
    {
        var layout = AbLayout.ForSlot(SlotCapacity);
        var media = new MemoryBlockDevice(layout.DiskBytes, name: "node-disk");
        var n = 0;
        var disk = AbDisk.Create(media, layout, () => new Guid(n++, 0x4e44, 0x4b31, 0, 0, 0, 0, 0, 0, 0, 1));
        var release = Release(version);
        new AbUpdater(disk).Install(new MemoryStream(release), new InstallRequest(version) { RootSignature = signer?.SignImage(release, version) });
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck with { Keyring = signer?.Keyring });
        new AbUpdater(disk, boot.Slot).MarkGood();
        return new NodeDisk(media, signer?.Keyring);
    }

    /// <summary>Boots until a boot passes its health check; a power cut under a later caller ends the node via <paramref name="powerLost"/>.</summary>
    public BootedDisk Boot(Action<PowerCutException> powerLost)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            Device = new PowerLossDevice(Media);
            var disk = AbDisk.Open(Device);
            var boot = Bootloader.Boot(disk, Policy);
            Boots.Add(boot);
            var slot = boot.Slot ?? throw new InvalidOperationException($"the node did not boot: {boot.BootLine}");
            var release = ReleaseManifest.Read(new AbUpdater(disk, slot).OpenRoot());
            if (boot.Info!.State == SlotState.Pending && release is not { Healthy: true }) continue; // the health check reboots
            return Booted = new BootedDisk(disk, slot, powerLost, Keyring);
        }
        throw new InvalidOperationException("the node never came up: every boot failed its health check");
    }

    /// <summary>Boot control as the media holds it now.</summary>
    public BootControlRecord Record => AbDisk.Open(Media).BootControl.Load().Record;

    /// <summary>A slot partition's bytes (image and hash area), to prove it was never written.</summary>
    public byte[] Partition(SlotName slot)
    {
        var disk = AbDisk.Open(Media);
        return Media.ReadBytes(disk[slot].Partition.Offset, (int)disk[slot].Partition.Length);
    }

    /// <summary>The first <paramref name="size"/> bytes of a slot's image area.</summary>
    public byte[] SlotImage(SlotName slot, long size) => AbDisk.Open(Media)[slot].Image.ReadBytes(0, (int)size);

    /// <summary>A power cut, as an in-process UM sees it: the node stops where it is, like a reboot nobody asked for.</summary>
    public static void EndTheNode(PowerCutException e) => throw new SystemRebootException($"power lost: {e.Message}");
}
