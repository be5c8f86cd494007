using System.Diagnostics;
using System.Text.Json;
using HilRig.Harness.Drivers.Console;
using HilRig.Harness.Native;
using HilRig.Harness.Protocols;
using HilRig.Harness.Runtime;

namespace HilRig.Harness.Drivers.ProcessBoard;

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
public sealed class ProcessBoardDriver : IPowerProtocol, IStorageProtocol, IBoardHealth, Boards.IHasEvidence, IAsyncDisposable
{
    private readonly string _name;
    private readonly ProcessBoardOptions _options;
    private readonly string _stateDirectory;
    private readonly int _seed;
    private readonly Pty _pty;
    private readonly SemaphoreSlim _powerLock = new(1, 1);
    private readonly List<PowerEvent> _history = new();
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _settings;
    private System.Diagnostics.Process? _process;
    private bool _stopExpected;
    private TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _firstPowerOnDone;

    public ProcessBoardDriver(string name, ProcessBoardOptions options, string stateDirectory, int seed, TimeProvider? time = null)
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

    public ConsoleLog Log { get; }

    public string DevicePath { get; }

    public string ConsolePath => _pty.SlavePath;

    /// <summary>Where the device's own stderr goes (crash traces), for the report.</summary>
    public string DiagnosticsPath => Path.Combine(_stateDirectory, "device-stderr.log");

    public string? DiskImage { get; set; }

    public string DataDirectory { get; }

    /// <summary>Prepended to the device command, e.g. <c>ip netns exec NS</c> when the board lives in a network namespace.</summary>
    public IReadOnlyList<string> LaunchPrefix { get; set; } = [];

    /// <summary>Work to do once before the first power-on (e.g. create the board's network namespace).</summary>
    public List<Func<CancellationToken, Task>> BeforeFirstPowerOn { get; } = new();

    /// <summary>Sets a device setting for the next boot (the device reads its settings at boot).</summary>
    public void Configure(string key, string value)
    {
        lock (_gate) _settings[key] = value;
    }

    public PowerState State
    {
        get
        {
            lock (_gate) return _process is { HasExited: false } ? PowerState.On : PowerState.Off;
        }
    }

    public IReadOnlyList<PowerEvent> History
    {
        get
        {
            lock (_gate) return _history.ToList();
        }
    }

    public int? ProcessId
    {
        get
        {
            lock (_gate) return _process is { HasExited: false } p ? p.Id : null;
        }
    }

    /// <summary>Completes when the device process exits on its own or by a power action; yields its exit code.</summary>
    public Task<int> NextExit
    {
        get
        {
            lock (_gate) return _exited.Task;
        }
    }

    public async Task OnAsync(CancellationToken cancellation = default)
    {
        await _powerLock.WaitAsync(cancellation);
        try
        {
            if (State == PowerState.On) return;
            if (!_firstPowerOnDone)
            {
                foreach (var setup in BeforeFirstPowerOn) await setup(cancellation);
                _firstPowerOnDone = true;
            }
            // A new power-on starts a new boot: expectations look at this boot's output only.
            Console.ReadPosition = Log.Length;
            lock (_gate) StopReason = null;
            Record(PowerEventKind.On);
            Start("power-on");
        }
        finally
        {
            _powerLock.Release();
        }
    }

    public async Task OffAsync(CancellationToken cancellation = default)
    {
        await _powerLock.WaitAsync(cancellation);
        try
        {
            var process = Running();
            if (process is null) return;
            Record(PowerEventKind.Off);
            lock (_gate) _stopExpected = true;
            Libc.kill(process.Id, Libc.SIGTERM);
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            grace.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                Log.Annotate("device ignored SIGTERM for 10 s; killing it");
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        finally
        {
            _powerLock.Release();
        }
    }

    public async Task CycleAsync(CancellationToken cancellation = default)
    {
        await OffAsync(cancellation);
        await OnAsync(cancellation);
    }

    public async Task CutAsync(CancellationToken cancellation = default)
    {
        await _powerLock.WaitAsync(cancellation);
        try
        {
            var process = Running();
            if (process is null) return;
            Record(PowerEventKind.Cut);
            lock (_gate) _stopExpected = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
        finally
        {
            _powerLock.Release();
        }
    }

    private System.Diagnostics.Process? Running()
    {
        lock (_gate) return _process is { HasExited: false } p ? p : null;
    }

    private void Start(string bootReason)
    {
        var configPath = Path.Combine(_stateDirectory, "board.json");
        Dictionary<string, string> settings;
        lock (_gate) settings = new Dictionary<string, string>(_settings);
        var config = new
        {
            name = _name,
            firmware = _options.Firmware,
            roles = _options.Roles,
            dataDirectory = DataDirectory,
            bootReason,
            seed = _seed,
            settings,
        };
        File.WriteAllText(configPath, JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));

        var arguments = LaunchPrefix.Concat([DeviceLocator.DotnetHost(), DevicePath, "--console", _pty.SlavePath, "--config", configPath, "--lifeline"]).ToList();
        var info = new ProcessStartInfo(arguments[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _stateDirectory,
        };
        foreach (var a in arguments.Skip(1)) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";

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
        lock (_gate)
        {
            _process = process;
            _stopExpected = false;
        }
        Log.Annotate($"{bootReason}: started device pid {process.Id}");
        _ = WatchAsync(process, diagnostics);
    }

    private async Task WatchAsync(System.Diagnostics.Process process, StreamWriter diagnostics)
    {
        await process.WaitForExitAsync();
        ChildProcesses.Forget(process);
        var code = process.ExitCode;
        bool expected;
        TaskCompletionSource<int> exited;
        lock (_gate)
        {
            expected = _stopExpected;
            exited = _exited;
            _exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        lock (diagnostics) diagnostics.Dispose();
        if (expected)
        {
            Log.Annotate($"device stopped (exit {code})");
        }
        else if (code == RebootExitCode)
        {
            Record(PowerEventKind.Reboot);
            Log.Annotate("device rebooted itself");
            try
            {
                Start("reboot");
            }
            catch (RigFaultException e)
            {
                Log.Annotate($"restart after reboot failed: {e.Message}");
            }
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
            lock (_gate)
            {
                StopReason = $"the device process of {_name} exited with code {code}" + (tail.Length > 0 ? $"; its stderr:\n{tail}" : "");
                // Exit 2 is the device refusing its command line: the harness started it wrongly.
                StopWasRigFault = code == UsageExitCode;
            }
        }
        exited.TrySetResult(code);
    }

    /// <summary>HilRig.Device's reboot exit code (src/HilRig.Device/DeviceExitCode.cs).</summary>
    public const int RebootExitCode = 82;

    /// <summary>HilRig.Device's exit code for a command line or config it cannot use.</summary>
    public const int UsageExitCode = 2;

    public string? StopReason { get; private set; }

    public bool StopWasRigFault { get; private set; }

    public IEnumerable<(string Name, string Path)> Evidence()
    {
        if (File.Exists(DiagnosticsPath) && new FileInfo(DiagnosticsPath).Length > 0) yield return ($"{_name} device stderr", DiagnosticsPath);
    }

    private void Record(PowerEventKind kind, string? detail = null)
    {
        lock (_gate) _history.Add(new PowerEvent(DateTimeOffset.Now, kind, detail));
        if (kind is PowerEventKind.On or PowerEventKind.Off or PowerEventKind.Cut) Log.Annotate($"power {kind.ToString().ToLowerInvariant()}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CutAsync();
        }
        finally
        {
            Console.Dispose();
            Log.Dispose();
            _pty.Dispose();
            _powerLock.Dispose();
        }
    }
}
