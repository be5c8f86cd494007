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
public sealed class BootedDisk(AbDisk disk, SlotName slot, Action<PowerCutException>? powerLost = null)
{
    private readonly Lock _gate = new();

    public AbDisk Disk => disk;

    /// <summary>The slot this boot runs from.</summary>
    public SlotName Slot => slot;

    /// <summary>Runs <paramref name="action"/> with an updater for this boot, alone on the disk.</summary>
    public T Use<T>(Func<AbUpdater, T> action)
    {
        lock (_gate)
        {
            try
            {
                return action(new AbUpdater(disk, slot));
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
