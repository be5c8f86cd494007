using HilRig.Device.Ab;
using HilRig.Device.Shell;
using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Um;
using HilRig.Update.Um.Modules;

namespace HilRig.Device.Update;

/// <summary>
/// The Update Manager on every node of a unit (seed 001): finishes a step a reboot interrupted and keeps its
/// RegisterUM stream to the CM. A module asking for a system reboot reboots the board (exit code 82), once for every
/// module that asked. <c>rootfs-ab</c> modules get the disk and slot the A/B boot service booted
/// (<see cref="AbBootService.Booted"/>).
/// </summary>
public sealed class UpdateManagerService : IDeviceService
{
    private UmRuntime? _runtime;
    private DeviceHost? _device;

    public string Name => "update-manager";

    public bool IsEnabled(BoardConfig config) => UpdateSettings.UmEnabled(config);

    public async Task StartAsync(DeviceHost device, CancellationToken cancellation)
    {
        _device = device;
        if (device.StopRequest is not null)
        {
            // This boot is already being ended (the new slot failed its health check): resuming an update here could
            // confirm a slot that did not come up.
            device.Log("update-manager: not started: the board is going down in this boot");
            return;
        }
        var config = UpdateSettings.Um(device.Config);
        var disk = device.RunningServices.OfType<AbBootService>().SingleOrDefault()?.Booted;
        var reboot = new ProcessSystemReboot($"boot-{device.Boot.BootNumber}", RebootAsync);
        _runtime = await UmRuntime.StartAsync(config, UpdateSettings.CmUrl(device.Config), reboot, TimeProvider.System, null, cancellation, disk);
        device.Log($"update-manager: node {config.NodeId}, state {_runtime.Handler.State.State}, modules {string.Join(", ", config.Modules.Select(m => $"{m.Id} ({m.Plugin})"))}");
    }

    public IEnumerable<IShellCommand> Commands =>
    [
        new DelegateCommand("um status", "the update handler's state, image version and components", (ctx, _) =>
        {
            var status = _runtime!.Handler.Status();
            ctx.WriteLine($"node: {status.NodeId}");
            ctx.WriteLine($"state: {status.UpdateState.ToString().ToUpperInvariant()}");
            ctx.WriteLine($"image: {status.ImageVersion}");
            ctx.WriteLine($"connected: {(_runtime.Client.State == CmLinkState.Registered ? "yes" : "no")}");
            ctx.WriteLine($"cm: {_runtime.Client.State.ToString().ToLowerInvariant()}{(_runtime.Client.LastStreamEnd is { } end ? $" (last stream: {end})" : "")}");
            if (status.Error is not null) ctx.WriteLine($"error: {status.Error.Message}");
            foreach (var c in status.Components) ctx.WriteLine($"component {c.ComponentId} {c.Version} {c.State.ToString().ToUpperInvariant()}");
            return Task.FromResult(0);
        }),
        new DelegateCommand("um fail-at", "um fail-at MODULE STEP[,STEP]: make a test module fail at those steps ('none' clears)", (ctx, args) =>
        {
            if (args.Count != 2) return Task.FromResult(ctx.Fail("um fail-at", "usage: um fail-at MODULE STEP[,STEP]|none", 2));
            if (_runtime!.Handler.Modules.FirstOrDefault(m => m.Id == args[0]) is not TestModule module)
                return Task.FromResult(ctx.Fail("um fail-at", $"no test module '{args[0]}'"));
            Directory.CreateDirectory(Path.GetDirectoryName(module.FailFile)!);
            File.WriteAllText(module.FailFile, args[1] == "none" ? "" : args[1]);
            ctx.WriteLine($"{args[0]} fails at: {(args[1] == "none" ? "nothing" : args[1])}");
            return Task.FromResult(0);
        }),
        new DelegateCommand("um journal", "um journal MODULE: the steps a test module ran, across reboots", (ctx, args) =>
        {
            if (args.Count != 1 || _runtime!.Handler.Modules.FirstOrDefault(m => m.Id == args[0]) is not TestModule module)
                return Task.FromResult(ctx.Fail("um journal", "usage: um journal TEST-MODULE", 2));
            ctx.WriteLine(string.Join(' ', module.Journal));
            return Task.FromResult(0);
        }),
    ];

    public async Task StopAsync()
    {
        if (_runtime is not null) await _runtime.DisposeAsync();
        _runtime = null;
    }

    /// <summary>
    /// A system reboot asked for by a module: an orderly shutdown and exit with the reboot code, which the board
    /// driver answers by booting the device again. Runs apart from the UM's loop, which it stops.
    /// </summary>
    private Task RebootAsync(string reason)
    {
        var device = _device!;
        device.Log($"update-manager: system reboot ({reason})");
        _ = Task.Run(async () =>
        {
            device.RequestStop(DeviceExitCode.Reboot);
            var code = await device.ShutdownAsync(DeviceExitCode.Reboot);
            Environment.Exit(code);
        });
        return Task.CompletedTask;
    }
}
