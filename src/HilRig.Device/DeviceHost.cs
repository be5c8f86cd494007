using System.Diagnostics;
using HilRig.Device.Boot;
using HilRig.Device.Console;
using HilRig.Device.Shell;

namespace HilRig.Device;

/// <summary>
/// The running device: boots (counts the boot, prints the boot log, starts services), then serves the
/// console shell until a command powers it off or reboots it.
/// </summary>
public sealed class DeviceHost
{
    private readonly IDeviceConsole _console;
    private readonly IReadOnlyList<IDeviceService> _services;
    private readonly Stopwatch _uptime = Stopwatch.StartNew();
    private readonly List<IDeviceService> _started = new();
    private readonly object _shutdownGate = new();
    private Task<int>? _shutdown;

    public DeviceHost(BoardConfig config, IDeviceConsole console, IReadOnlyList<IDeviceService> services)
    {
        Config = config;
        _console = console;
        _services = services;
        Boot = new BootRecord(config.DataDirectory);
    }

    public BoardConfig Config { get; }

    public BootRecord Boot { get; }

    public TimeSpan Uptime => _uptime.Elapsed;

    /// <summary>Set when a command asks the device to power off or reboot; holds the exit code.</summary>
    public int? StopRequest { get; private set; }

    public IReadOnlyList<IDeviceService> RunningServices => _started;

    public void RequestStop(int exitCode) => StopRequest ??= exitCode;

    /// <summary>A boot-log line with the time since boot, as the kernel prints them.</summary>
    public void Log(string message) => _console.Write($"[{_uptime.Elapsed.TotalSeconds,12:0.000000}] {message}\n");

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        _console.Write($"\nHilRig Device firmware {Config.Firmware} (board {Config.Name})\n");
        Boot.Begin(Config.BootReason);
        Log($"boot #{Boot.BootNumber}, reason: {Boot.Reason}");
        Log($"roles: {(Config.Roles.Count == 0 ? "none" : string.Join(", ", Config.Roles))}");
        foreach (var service in _services.Where(s => s.IsEnabled(Config)))
        {
            try
            {
                await service.StartAsync(this, cancellation);
                _started.Add(service);
                Log($"started {service.Name}");
            }
            catch (Exception e)
            {
                // A service that cannot start leaves the device up (as systemd would), visibly degraded.
                Log($"FAILED to start {service.Name}: {e.Message}");
            }
        }
        Log("boot complete");
        _console.Write($"\nHilRig {Config.Firmware} {Config.Name} ttyS0\n\n");
        if (StopRequest is null)
        {
            var commands = BuiltinCommands.All(this)
                .Concat(_started.SelectMany(s => s.Commands))
                .ToDictionary(c => c.Name, StringComparer.Ordinal);
            var shell = new ShellHost(_console, this, commands);
            var code = await shell.RunAsync();
            if (code == DeviceExitCode.ConsoleLost) return code;
        }
        return await ShutdownAsync(StopRequest ?? DeviceExitCode.PowerOff);
    }

    /// <summary>
    /// Stops services, marks the shutdown clean and prints what Linux prints last — once: the shell ending the boot, a
    /// module's reboot on a background task and SIGTERM may all ask, and every caller awaits the same shutdown and gets
    /// the code of the first request.
    /// </summary>
    public Task<int> ShutdownAsync(int exitCode)
    {
        lock (_shutdownGate) return _shutdown ??= Task.Run(() => ShutdownCoreAsync(exitCode));
    }

    private async Task<int> ShutdownCoreAsync(int exitCode)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync();
            }
            catch (Exception e)
            {
                Log($"stopping {_started[i].Name} failed: {e.Message}");
            }
        }
        Boot.MarkClean(exitCode == DeviceExitCode.Reboot ? "reboot" : "poweroff");
        _console.Write(exitCode == DeviceExitCode.Reboot ? "reboot: Restarting system\n" : "reboot: Power down\n");
        return exitCode;
    }
}
