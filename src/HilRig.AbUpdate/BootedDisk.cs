using HilRig.Storage.PowerLoss;

namespace HilRig.AbUpdate;

/// <summary>
/// The A/B disk of a running system: the disk the bootloader chose from and the slot this boot runs. Everything on a
/// device that reads or changes the disk (the boot service's health check, the <c>ab</c> shell commands, the update
/// manager's <c>rootfs-ab</c> module) goes through one instance, because they must agree on which slot is booted and
/// the block layer under the disk (write-back cache, power-loss model) serves one caller at a time.
/// </summary>
/// <param name="powerLost">
/// Called when the power fails under a caller (<see cref="PowerCutException"/>), before the exception goes on: a device
/// stops dead there (nothing after a power cut may run); an in-process test ends the simulated node.
/// </param>
/// <param name="keyring">The release keys this boot trusted (null: roots are not signature-checked); every install checks against them.</param>
public sealed class BootedDisk(AbDisk disk, SlotName slot, Action<PowerCutException>? powerLost = null, ReleaseKeyring? keyring = null)
{
    private readonly Lock _gate = new();

    public AbDisk Disk => disk;

    /// <summary>The slot this boot runs from.</summary>
    public SlotName Slot => slot;

    public ReleaseKeyring? Keyring => keyring;

    /// <summary>Runs <paramref name="action"/> with an updater for this boot, alone on the disk.</summary>
    public T Use<T>(Func<AbUpdater, T> action)
    {
        lock (_gate)
        {
            try
            {
                return action(new AbUpdater(disk, slot) { Keyring = keyring });
            }
            catch (PowerCutException e) when (powerLost is not null)
            {
                powerLost(e);
                throw;
            }
        }
    }

    /// <summary>A slot's boot-control entry as it is now (state, version, hash).</summary>
    public SlotInfo Info(SlotName which) => Use(u => u.Disk.BootControl.Load().Record[which]);
}
