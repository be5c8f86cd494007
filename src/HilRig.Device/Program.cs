using System.Runtime.InteropServices;
using HilRig.Device;
using HilRig.Device.Console;
using HilRig.Update.Hosting;

// HilRig.Device: the software of a board. Started by a board driver with its console tty and its config:
//   HilRig.Device --console /dev/pts/N --config board.json [--lifeline] [--booted-slot A|B]
// and, in a QEMU board's initramfs, as its bootloader (prints the chosen slot):
//   HilRig.Device boot-select --console /dev/ttyS0 --config board.json
const string Usage = "usage: HilRig.Device [boot-select] --console TTY --config BOARD.json [--lifeline] [--booted-slot A|B]";
string? consolePath = null, configPath = null, bootedSlot = null;
var lifeline = false;
var bootSelect = args.Length > 0 && args[0] == "boot-select";
for (var i = bootSelect ? 1 : 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--booted-slot" when i + 1 < args.Length && args[i + 1] is "A" or "B":
            bootedSlot = args[++i];
            break;
        case "--console" when i + 1 < args.Length:
            consolePath = args[++i];
            break;
        case "--config" when i + 1 < args.Length:
            configPath = args[++i];
            break;
        case "--lifeline":
            lifeline = true;
            break;
        default:
            Console.Error.WriteLine($"HilRig.Device: unknown argument '{args[i]}'\n{Usage}");
            return DeviceExitCode.Usage;
    }
}
if (consolePath is null || configPath is null)
{
    Console.Error.WriteLine(Usage);
    return DeviceExitCode.Usage;
}

BoardConfig config;
IDeviceConsole console;
try
{
    config = BoardConfig.Load(configPath);
    // The slot a bootloader outside the agent chose; the A/B service must not choose (and use a try) again.
    if (bootedSlot is not null) config = config with { Settings = new Dictionary<string, string>(config.Settings) { ["ab.booted"] = bootedSlot } };
    console = TtyConsole.Open(consolePath);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"HilRig.Device: {e.Message}");
    return DeviceExitCode.Usage;
}

if (bootSelect)
{
    using (console) return await HilRig.Device.Ab.BootSelectCommand.RunAsync(config, console);
}

if (lifeline) Lifeline.Watch(() => Environment.Exit(DeviceExitCode.ConsoleLost));

var device = new DeviceHost(config, console, DeviceServices.For(config));
// SIGTERM is the driver's orderly "power off": shut down cleanly, as on `poweroff` (or finish the shutdown already under way).
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    device.RequestStop(DeviceExitCode.PowerOff);
    var code = device.ShutdownAsync(DeviceExitCode.PowerOff).GetAwaiter().GetResult();
    Environment.Exit(code);
});
try
{
    return await device.RunAsync(CancellationToken.None);
}
catch (Exception e)
{
    console.Write($"Kernel panic - not syncing: {e.GetType().Name}: {e.Message}\n");
    Console.Error.WriteLine(e);
    return DeviceExitCode.Panic;
}
finally
{
    console.Dispose();
}
