using HilRig.AbUpdate;
using HilRig.Device.Shell;
using HilRig.Device.Update;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;

namespace HilRig.Device.Ab;

/// <summary>
/// The A/B side of a board: at every boot it runs the bootloader's slot selection on the board's disk image, prints the
/// chosen slot, version and hash in the boot log, mounts the booted slot read-only under a volatile overlay, and runs the
/// health check (the release manifest's verdict) that marks a pending slot good — or reboots, so a bad release falls
/// back after its tries. Its shell commands are <c>ab status|install|mark-good|rollback|verify</c>.
/// <para>
/// Settings: <c>ab.disk</c> (disk image, relative to the data directory; default <c>disk.img</c>; the service runs
/// when it exists), <c>ab.check</c> (none|sampled|full), <c>ab.auto_mark_good</c> (true|false; default true, but false
/// when the board's UM has a <c>rootfs-ab</c> module: then the CM's ApplyUpdate commits the slot), for power-cut
/// scenarios <c>ab.cut</c> / <c>ab.cut_seed</c>: a cut plan (<c>@bootctl-write#2</c>, <c>w17</c>) armed once, and
/// <c>ab.booted</c> (A|B), set when a bootloader outside the agent (a QEMU board's initramfs) already chose the slot,
/// and <c>ab.keyring</c> (PEM public keys, relative to the data directory; default <c>release-keys.pem</c>): the release
/// keys whose signature a slot's Merkle root needs before the boot trusts it. Without that file roots are not
/// signature-checked, and the boot says so.
/// <c>ab.disk</c> may be a block device (<c>/dev/vda</c> on a QEMU board).
/// </para>
/// <para>
/// After boot selection the disk and the booted slot are <see cref="Booted"/>, which the shell commands and the UM's
/// <c>rootfs-ab</c> module share.
/// </para>
/// <para>
/// The disk is a <see cref="PowerLossDevice"/> over the image file: writes wait in the device's own (volatile) cache
/// until a flush, so the harness's SIGKILL power cut loses exactly the unflushed writes. At an armed cut point the
/// surviving sectors are written, the device prints <c>[power] lost …</c> and stops dead until the harness cuts power.
/// </para>
/// </summary>
public sealed class AbBootService : IDeviceService
{
    private DeviceHost? _device;
    private PowerLossDevice? _disk;
    private FileBlockDevice? _media;

    public string Name => "ab-boot";

    public bool IsEnabled(BoardConfig config) => File.Exists(DiskPath(config));

    /// <summary>The disk and the slot this boot runs, once boot selection chose one.</summary>
    public BootedDisk? Booted { get; private set; }
    public VolatileOverlay? Root { get; private set; }
    public ReleaseManifest? Release { get; private set; }

    public static string DiskPath(BoardConfig config) => Path.Combine(config.DataDirectory, config.Setting("ab.disk", "disk.img"));

    public async Task StartAsync(DeviceHost device, CancellationToken cancellation)
    {
        _device = device;
        var config = device.Config;
        _media = FileBlockDevice.Open(DiskPath(config));
        _disk = new PowerLossDevice(_media, 128 * 1024, ArmedCut(config));
        try
        {
            var disk = AbDisk.Open(_disk);
            SlotName slot;
            SlotInfo info;
            if (BootedByBootloader(config) is { } chosen)
            {
                // A QEMU board's initramfs ran the selection below (`HilRig.Device boot-select`) before this root was
                // mounted; running it again would use a second try of a pending slot.
                slot = chosen;
                info = disk.BootControl.Load().Record[slot];
            }
            else
            {
                var boot = Select(disk, config, line => device.Log(line));
                if (boot.Slot is not { } s)
                {
                    device.Log(NoSlotPanic);
                    device.RequestStop(DeviceExitCode.Panic);
                    return;
                }
                (slot, info) = (s, boot.Info!);
            }
            // A power cut under any later user of the disk is dead hardware: say so and stop until the harness removes power.
            Booted = new BootedDisk(disk, slot, e => PowerLostAsync(e).GetAwaiter().GetResult(), Keyring(config));
            Root = new AbUpdater(disk, slot).OpenRoot();
            Release = ReleaseManifest.Read(Root);
            device.Log($"ab: root: slot {slot} ({disk[slot].Partition.Name}) read-only, runtime changes in a volatile overlay");
            HealthCheck(device, slot, info);
            FireIfArmed();
        }
        catch (PowerCutException e)
        {
            await PowerLostAsync(e, cancellation);
        }
        catch (AbException e)
        {
            device.Log($"ab: {e.Message}");
            device.Log("Kernel panic - not syncing: VFS: unable to mount root");
            device.RequestStop(DeviceExitCode.Panic);
        }
    }

    /// <summary>What a board prints when neither slot can boot (a bootloader's last words).</summary>
    public const string NoSlotPanic = "Kernel panic - not syncing: VFS: no bootable A/B slot";

    /// <summary>The slot a bootloader outside the agent already chose (setting <c>ab.booted</c>), if one did.</summary>
    public static SlotName? BootedByBootloader(BoardConfig config) =>
        config.Setting("ab.booted", "") is { Length: > 0 } s ? SlotNames.Parse(s) : null;

    /// <summary>
    /// The bootloader's slot selection with the board's tamper-check policy, every line of its log printed with an
    /// <c>ab:</c> prefix: the one implementation process boards run here and QEMU boards run in their initramfs.
    /// </summary>
    public static BootResult Select(AbDisk disk, BoardConfig config, Action<string> log)
    {
        var policy = config.Setting("ab.check", "sampled") switch
        {
            "none" => BootPolicy.NoCheck,
            "full" => BootPolicy.FullCheck,
            _ => BootPolicy.Default with { Seed = (ulong)config.Seed },
        };
        var keyring = Keyring(config);
        if (keyring is null) log($"ab: no release keyring ({KeyringPath(config)}): slot roots are not signature-checked");
        var boot = Bootloader.Boot(disk, policy with { Keyring = keyring });
        foreach (var line in boot.Log) log($"ab: {line}");
        return boot;
    }

    public static string KeyringPath(BoardConfig config) => Path.Combine(config.DataDirectory, config.Setting("ab.keyring", "release-keys.pem"));

    /// <summary>
    /// The board's release keyring, or null when it has none. A keyring file that cannot be read or holds anything but
    /// P-256 public keys is an <see cref="AbException"/>: the board does not boot rather than boot unchecked.
    /// </summary>
    public static ReleaseKeyring? Keyring(BoardConfig config)
    {
        var path = KeyringPath(config);
        return File.Exists(path) ? ReleaseKeyring.Load(path) : null;
    }

    private void HealthCheck(DeviceHost device, SlotName slot, SlotInfo info)
    {
        if (info.State != SlotState.Pending) return;
        if (Release is not { Healthy: true })
        {
            device.Log($"ab: health check failed: slot {slot} ({Release?.Version ?? "no release manifest"}) did not come up; rebooting ({info.TriesLeft} tries left)");
            device.RequestStop(DeviceExitCode.Reboot);
            return;
        }
        var umCommits = UpdateSettings.UmUpdatesRootfs(device.Config);
        if (!bool.TryParse(device.Config.Setting("ab.auto_mark_good", umCommits ? "false" : "true"), out var auto) || !auto)
        {
            device.Log(umCommits
                ? $"ab: health check passed: slot {slot} stays pending until the update manager applies the update"
                : $"ab: health check passed: slot {slot} stays pending until `ab mark-good`");
            return;
        }
        Booted!.Use(u => u.MarkGood());
        device.Log($"ab: health check passed: slot {slot} marked good");
    }

    /// <summary>The cut plan from the settings, unless it already fired (it fires once, not at every boot).</summary>
    internal static CutPlan? ArmedCut(BoardConfig config)
    {
        var spec = config.Setting("ab.cut", "");
        if (spec.Length == 0) return null;
        var fired = Path.Combine(config.DataDirectory, "ab-cut.fired");
        if (File.Exists(fired) && File.ReadAllText(fired).Trim() == spec) return null;
        var seed = ulong.TryParse(config.Setting("ab.cut_seed", "1"), out var s) ? s : 1;
        return new CutPlan(CutPoint.Parse(spec), seed);
    }

    /// <summary>Arms a cut for the rest of this boot (the shell's <c>ab cut</c>).</summary>
    public void Arm(CutPlan plan)
    {
        if (_disk is null) throw new InvalidOperationException("no A/B disk");
        _disk.Plan = plan;
    }

    /// <summary>Fires an armed cut whose point was reached with no disk operation after it (the device went idle).</summary>
    internal void FireIfArmed() => _disk?.FireIfArmed();

    internal async Task PowerLostAsync(PowerCutException e, CancellationToken cancellation = default)
    {
        var device = _device!;
        await PowerLostAsync(device.Config, _disk?.Plan, e, line => device.Log(line), cancellation);
    }

    /// <summary>Records that the armed cut fired (it fires once), prints the loss and stops dead until the harness removes power.</summary>
    internal static async Task PowerLostAsync(BoardConfig config, CutPlan? plan, PowerCutException e, Action<string> log, CancellationToken cancellation = default)
    {
        if (plan is not null)
            File.WriteAllText(Path.Combine(config.DataDirectory, "ab-cut.fired"), config.Setting("ab.cut", plan.At.ToString()));
        log($"[power] lost: {e.Message}");
        // Dead hardware: nothing more happens until the harness removes power.
        await Task.Delay(Timeout.Infinite, cancellation);
    }

    public IEnumerable<IShellCommand> Commands => AbShellCommands.For(this);

    internal DeviceHost Device => _device!;

    /// <summary>Runs a shell command's work on the booted disk, one user at a time (the UM may be installing).</summary>
    internal T Use<T>(Func<AbUpdater, T> action) =>
        (Booted ?? throw new InvalidOperationException("no booted A/B slot")).Use(action);

    public Task StopAsync()
    {
        // An orderly shutdown writes the device's cache down; a power cut (SIGKILL) never gets here.
        if (_disk is { IsPoweredOff: false }) _disk.Flush();
        _media?.Dispose();
        return Task.CompletedTask;
    }
}
