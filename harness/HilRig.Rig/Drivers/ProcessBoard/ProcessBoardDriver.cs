using System.Diagnostics;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Native;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Drivers.ProcessBoard;

/// <summary>Options of a process board, from its <c>process</c> driver section.</summary>
public sealed record ProcessBoardOptions
{
    public string Firmware { get; init; } = "1.0.0";
    public string? DevicePath { get; init; }
    public TimeSpan BootTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Powers a process board: HilRig.Device runs as a child process whose console is the slave side of a pty
/// this driver owns. On = start, orderly off = SIGTERM (the device shuts down cleanly), cut = SIGKILL,
/// and when the device exits with its reboot code the driver boots it again, as a reset circuit would.
/// The pty and its log outlive the process, so one console log spans every boot of a scenario.
/// </summary>
public sealed class ProcessBoardDriver : PoweredBoardDriver<ProcessBoardDriver.Launch>, IStorageProtocol, ISettingsProtocol, IProvisioningProtocol, IDeviceProcessProtocol, Boards.IHasEvidence, IAsyncDisposable
{
    private readonly string _name;
    private readonly ProcessBoardOptions _options;
    private readonly string _stateDirectory;
    private readonly int _seed;
    private readonly Pty _pty;
    private readonly Dictionary<string, string> _settings;
    private Launch? _current;
    private TaskCompletionSource<int> _nextLaunchExit = NewExitSignal();

    /// <summary>
    /// One start of the device process. Power actions and the exit watcher act on a launch, never on "whatever runs
    /// now", so a cut racing a self-reboot, or the exit of a previous launch, cannot be mistaken for the current one.
    /// </summary>
    public sealed class Launch(System.Diagnostics.Process process, TaskCompletionSource<int> exited)
    {
        public System.Diagnostics.Process Process { get; } = process;

        public TaskCompletionSource<int> Exited { get; } = exited;

        /// <summary>Set (under the driver's gate) when a power action ended this launch on purpose.</summary>
        public bool StopExpected { get; set; }

        /// <summary>Set (under the gate) once the watcher has handled the exit.</summary>
        public bool Finished { get; set; }

        /// <summary>Set (under the gate) between a self-reboot's exit and the restart, so a cut in that gap still wins.</summary>
        public bool RestartPending { get; set; }

        public bool Running_NeedsLock => !Finished && !Process.HasExited;

        /// <summary>
        /// The board's power as a user sees it: on from the start until the watcher has handled an exit that was not a
        /// reboot. A self-reboot keeps it on (its exit, the gap and the restart), so a wait for the next boot that starts
        /// before the old process is gone does not take the reboot for a power-off.
        /// </summary>
        public bool PoweredOn_NeedsLock => !Finished || RestartPending;
    }

    private static TaskCompletionSource<int> NewExitSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ProcessBoardDriver(string name, ProcessBoardOptions options, string stateDirectory, int seed, TimeProvider? time = null)
        : base(name)
    {
        _name = name;
        _options = options;
        // Absolute: the device runs with this as its working directory and gets paths inside it.
        _stateDirectory = Path.GetFullPath(stateDirectory);
        stateDirectory = _stateDirectory;
        _seed = seed;
        _settings = new Dictionary<string, string>(options.Settings);
        Directory.CreateDirectory(stateDirectory);
        DataDirectory = Path.Combine(stateDirectory, "data");
        Directory.CreateDirectory(DataDirectory);
        DevicePath = DeviceLocator.Find(options.DevicePath);
        try
        {
            _pty = Pty.Open();
        }
        catch (IOException e)
        {
            throw new RigFaultException($"cannot open a pty for board {name}: {e.Message}", e);
        }
        Log = new ConsoleLog(Path.Combine(stateDirectory, "console.log"), time);
        Console = new FdConsole(_pty.MasterFd, name, Log, time);
    }

    public FdConsole Console { get; }

    protected override IConsoleProtocol BoardConsole => Console;

    public ConsoleLog Log { get; }

    public string DevicePath { get; }

    public string ConsolePath => _pty.SlavePath;

    /// <summary>Where the device's own stderr goes (crash traces), for the report.</summary>
    public string DiagnosticsPath => Path.Combine(_stateDirectory, "device-stderr.log");

    /// <summary>The A/B disk the device boots from when it exists (its <c>ab.disk</c> default, in the data directory).</summary>
    public string? DiskImage => Path.Combine(DataDirectory, "disk.img");

    public string DataDirectory { get; }

    /// <summary>Prepended to the device command, e.g. <c>ip netns exec NS</c> when the board lives in a network namespace.</summary>
    public IReadOnlyList<string> LaunchPrefix { get; set; } = [];

    /// <summary>Where provisioned files live: the board's state directory is its storage, so the device reads them in place.</summary>
    public string ProvisioningRoot => Path.Combine(_stateDirectory, "provisioned");

    public string Provision(string relativePath, ReadOnlySpan<byte> content, UnixFileMode mode) =>
        ProvisionedFiles.Write(_name, ProvisioningRoot, relativePath, content, mode);

    /// <summary>Sets a device setting for the next boot (the device reads its settings at boot).</summary>
    public void Configure(string key, string value)
    {
        lock (Gate) _settings[key] = value;
    }

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            lock (Gate) return new Dictionary<string, string>(_settings);
        }
    }

    public override PowerState State
    {
        get
        {
            lock (Gate) return _current is { PoweredOn_NeedsLock: true } ? PowerState.On : PowerState.Off;
        }
    }

    public int? ProcessId
    {
        get
        {
            lock (Gate) return _current is { Running_NeedsLock: true } c ? c.Process.Id : null;
        }
    }

    /// <summary>Completes when the device process running now (or, if none runs, the next one) exits; yields its exit code.</summary>
    public Task<int> NextExit
    {
        get
        {
            lock (Gate) return _current is { Running_NeedsLock: true } c ? c.Exited.Task : _nextLaunchExit.Task;
        }
    }

    public async Task KillDeviceProcessAsync(CancellationToken cancellation)
    {
        var pid = ProcessId ?? throw new InvalidOperationException($"board {_name} is not running: there is no device process to kill");
        var exited = NextExit;
        // The launcher (`ip netns exec`) and the device under it: SIGKILL to both, and no power event is recorded, so
        // the driver sees an unexpected exit. Waiting on the exit task, not the Process: the device's pipes close with it.
        using (var p = Process.GetProcessById(pid)) p.Kill(entireProcessTree: true);
        await exited.WaitAsync(TimeSpan.FromSeconds(10), cancellation);
    }

    protected override Task StartAsync(string bootReason, CancellationToken cancellation)
    {
        Start(bootReason);
        return Task.CompletedTask;
    }

    /// <summary>SIGTERM (the device shuts down cleanly), then SIGKILL if it has not ended within 10 s.</summary>
    protected override async Task StopOrderlyAsync(Launch launch, CancellationToken cancellation)
    {
        if (!IsRunning(launch))
        {
            await launch.Exited.Task;
            return;
        }
        Libc.kill(launch.Process.Id, Libc.SIGTERM);
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        grace.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await launch.Exited.Task.WaitAsync(grace.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            Log.Annotate("device ignored SIGTERM for 10 s; killing it");
            launch.Process.Kill(entireProcessTree: true);
            await launch.Exited.Task;
        }
    }

    protected override async Task CutPowerAsync(Launch launch, CancellationToken cancellation)
    {
        if (IsRunning(launch)) launch.Process.Kill(entireProcessTree: true);
        await launch.Exited.Task;
    }

    private bool IsRunning(Launch launch)
    {
        lock (Gate) return launch.Running_NeedsLock;
    }

    /// <summary>A launch that has just exited to reboot counts as current: cutting it must keep the board off, not let the reboot win.</summary>
    protected override Launch? EndCurrentLaunch()
    {
        lock (Gate)
        {
            if (_current is null || (_current.Finished && !_current.RestartPending)) return null;
            _current.StopExpected = true;
            _current.RestartPending = false; // the board is off from now on; the pending restart sees StopExpected and does not run
            return _current;
        }
    }

    private void Start(string bootReason)
    {
        var configPath = Path.Combine(_stateDirectory, "board.json");
        Dictionary<string, string> settings;
        lock (Gate) settings = new Dictionary<string, string>(_settings);
        BoardConfigFile.Write(configPath, _name, _options.Firmware, _options.Roles, DataDirectory, bootReason, _seed, settings);

        // The JIT build (a .dll) runs on the harness's dotnet; a NativeAOT agent (the board image's) runs by itself.
        string[] program = DevicePath.EndsWith(".dll", StringComparison.Ordinal) ? [DeviceLocator.DotnetHost(), DevicePath] : [DevicePath];
        var arguments = LaunchPrefix.Concat(program).Concat(["--console", _pty.SlavePath, "--config", configPath, "--lifeline"]).ToList();
        var info = new ProcessStartInfo(arguments[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _stateDirectory,
        };
        foreach (var a in arguments.Skip(1)) info.ArgumentList.Add(a);
        DeviceLocator.ShortLivedRuntime(info);

        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.Start(info) ?? throw new RigFaultException($"could not start {arguments[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RigFaultException($"cannot start board {_name}: {string.Join(' ', arguments)}: {e.Message}", e);
        }
        ChildProcesses.Track(process);
        var diagnostics = new StreamWriter(DiagnosticsPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (diagnostics) diagnostics.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (diagnostics) diagnostics.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Launch launch;
        Launch? previous;
        lock (Gate)
        {
            launch = new Launch(process, _nextLaunchExit);
            _nextLaunchExit = NewExitSignal();
            previous = _current;
            _current = launch;
        }
        // Starts happen under the power lock, so no power action is using the previous launch's process any more.
        previous?.Process.Dispose();
        Log.Annotate($"{bootReason}: started device pid {process.Id}");
        _ = WatchAsync(launch, diagnostics);
    }

    private async Task WatchAsync(Launch launch, StreamWriter diagnostics)
    {
        var process = launch.Process;
        await process.WaitForExitAsync();
        ChildProcesses.Forget(process);
        var code = process.ExitCode;
        bool expected, rebooting;
        lock (Gate)
        {
            expected = launch.StopExpected;
            rebooting = !expected && code == RebootExitCode;
            launch.Finished = true;
            launch.RestartPending = rebooting;
        }
        lock (diagnostics) diagnostics.Dispose();
        if (expected)
        {
            Log.Annotate($"device stopped (exit {code})");
        }
        else if (rebooting)
        {
            Record(PowerEventKind.Reboot);
            Log.Annotate("device rebooted itself");
        }
        else if (code == 0)
        {
            Record(PowerEventKind.Off, "device powered itself off");
            Log.Annotate("device powered itself off");
        }
        else
        {
            Record(PowerEventKind.UnexpectedExit, $"exit code {code}");
            Log.Annotate($"device process exited unexpectedly with code {code}; see {Path.GetFileName(DiagnosticsPath)}");
            var tail = File.Exists(DiagnosticsPath) ? string.Join('\n', File.ReadLines(DiagnosticsPath).TakeLast(15)) : "";
            lock (Gate)
            {
                StopReason = $"the device process of {_name} exited with code {code}" + (tail.Length > 0 ? $"; its stderr:\n{tail}" : "");
                // Exit 2 is the device refusing its command line: the harness started it wrongly.
                StopWasRigFault = code == UsageExitCode;
            }
        }
        // This launch is over before any restart, so a power action waiting on it never waits on the restart.
        launch.Exited.TrySetResult(code);
        if (!rebooting) return;
        if (RebootGap is { } gap) await gap();
        await RestartAfterRebootAsync(launch);
    }

    /// <summary>Runs between a self-reboot's exit and the restart: tests land a power action exactly in that gap.</summary>
    internal Func<Task>? RebootGap { get; set; }

    /// <summary>
    /// The reset circuit: boot the device again, under the power lock and only if nobody switched the board off
    /// meanwhile, so a cut that races a reboot leaves the board off.
    /// </summary>
    private Task RestartAfterRebootAsync(Launch launch) => UnderPowerLockAsync(() =>
    {
        try
        {
            bool restart;
            lock (Gate)
            {
                restart = !Released && !launch.StopExpected && ReferenceEquals(_current, launch);
                // Stays set through Start when restarting: until the new launch is current, the board is still rebooting.
                if (!restart) launch.RestartPending = false;
            }
            if (!restart)
            {
                Log.Annotate("not restarting after the reboot: power was switched off meanwhile");
                return Task.CompletedTask;
            }
            try
            {
                Start("reboot");
            }
            finally
            {
                lock (Gate) launch.RestartPending = false;
            }
        }
        catch (RigFaultException e)
        {
            Log.Annotate($"restart after reboot failed: {e.Message}");
        }
        return Task.CompletedTask;
    });

    /// <summary>HilRig.Device's reboot exit code (src/HilRig.Device/DeviceExitCode.cs).</summary>
    public const int RebootExitCode = 82;

    /// <summary>HilRig.Device's exit code for a command line or config it cannot use.</summary>
    public const int UsageExitCode = 2;

    public IEnumerable<(string Name, string Path)> Evidence()
    {
        if (File.Exists(DiagnosticsPath) && new FileInfo(DiagnosticsPath).Length > 0) yield return ($"{_name} device stderr", DiagnosticsPath);
    }

    public async ValueTask DisposeAsync()
    {
        MarkReleased();
        try
        {
            await CutAsync();
        }
        finally
        {
            Console.Dispose();
            Log.Dispose();
            _pty.Dispose();
            _current?.Process.Dispose();
        }
    }
}
