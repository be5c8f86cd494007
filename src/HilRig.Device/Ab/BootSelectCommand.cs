using System.Diagnostics;
using HilRig.AbUpdate;
using HilRig.Device.Console;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;

namespace HilRig.Device.Ab;

/// <summary>
/// <c>HilRig.Device boot-select --console TTY --config BOARD.json</c>: the bootloader's half of a QEMU board, run by its
/// initramfs before any root is mounted. It runs the same selection as a process board's boot
/// (<see cref="AbBootService.Select"/>) on the board's A/B disk (setting <c>ab.disk</c>, e.g. <c>/dev/vda</c>), prints the
/// same <c>ab: …</c> lines on the console, and writes the chosen slot's letter to stdout for the initramfs to mount.
/// Exit 0 with a slot; 1 when no slot can boot (the panic line is printed); an armed power cut stops it dead.
/// </summary>
public static class BootSelectCommand
{
    public static async Task<int> RunAsync(BoardConfig config, IDeviceConsole console)
    {
        var uptime = Stopwatch.StartNew();
        void Log(string line) => console.Write($"[{uptime.Elapsed.TotalSeconds,12:0.000000}] {line}\n");
        var plan = AbBootService.ArmedCut(config);
        using var media = FileBlockDevice.Open(AbBootService.DiskPath(config));
        var disk = new PowerLossDevice(media, 128 * 1024, plan);
        try
        {
            var boot = AbBootService.Select(AbDisk.Open(disk), config, Log);
            if (boot.Slot is not { } slot)
            {
                Log(AbBootService.NoSlotPanic);
                return 1;
            }
            disk.Flush();
            System.Console.Out.WriteLine(slot.ToString());
            return 0;
        }
        catch (PowerCutException e)
        {
            await AbBootService.PowerLostAsync(config, plan, e, Log);
            return 137;
        }
        catch (AbException e)
        {
            Log($"ab: {e.Message}");
            Log("Kernel panic - not syncing: VFS: unable to mount root");
            return 1;
        }
    }
}
