using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Images;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Native;
using HilRig.Rig.Protocols;
using Microsoft.Extensions.Logging.Abstractions;

namespace HilRig.Rig.Drivers.Container;

/// <summary>
/// A container board: the board image's agent in a Docker container made with Testcontainers from the image's
/// <c>rootfs.tar</c> (imported locally, never pulled; see <see cref="ContainerImage"/>).
/// <list type="bullet">
/// <item>The console is a pty this driver owns, as on a process board: its slave is bind-mounted into the container as
/// <c>/dev/hilrig-console</c> (Docker's default device rules allow pty slaves, 136:*) and the agent runs with
/// <c>--console</c> on it, so the same <see cref="FdConsole"/> reads it and one console log spans every boot.</item>
/// <item>Power on = <c>docker start</c> (the container is created at the first power-on and kept); orderly off =
/// <c>docker stop</c> (SIGTERM to the agent, which shuts down cleanly; Docker kills it after <c>stop_timeout</c>);
/// cut = <c>docker kill</c> (SIGKILL). The agent's reboot exit code makes the driver start the container again, as
/// the process board's reset circuit does.</item>
/// <item>The board's data directory is bind-mounted at <c>/data</c>: it survives reboots, cuts and the container
/// itself. Each boot's <c>board.json</c> is written there; settings that name host files (credentials, trust stores)
/// are copied in at every power-on and handed to the agent as <c>/data/…</c> paths.</item>
/// <item>Network: none, or — when the rig's network joins the board (<see cref="EnsureNetworkHolder"/>) — the namespace of a
/// small holder container that lives as long as the board, so the TAP moved there survives every reboot and cut of
/// the board's own container (the board container joins it with <c>--network container:HOLDER</c>).</item>
/// </list>
/// Every container is labelled with the run id; see <see cref="ContainerReaper"/> for how none outlives the harness.
/// </summary>
public sealed class ContainerBoardDriver : PoweredBoardDriver<ContainerBoardDriver.Launch>, IStorageProtocol, ISettingsProtocol, IProvisioningProtocol, IDeviceProcessProtocol,
    Boards.IHasEvidence, IAsyncDisposable
{
    /// <summary>Where the board's data directory appears inside the container.</summary>
    public const string DataMount = "/data";

    public const string ConsoleInContainer = "/dev/hilrig-console";

    private const string Agent = "/bin/hilrig-device";

    private static int _instances;

    private readonly string _name;
    private readonly ContainerBoardOptions _options;
    private readonly string _stateDirectory;
    private readonly int _seed;
    private readonly Pty _pty;
    private readonly Dictionary<string, string> _settings;
    private readonly string _containerName;
    private DockerClient? _client;
    private IContainer? _container;
    private IContainer? _holder;
    private Launch? _current;

    /// <summary>One start of the container; power actions and the exit watcher act on a launch, never on "whatever runs now".</summary>
    public sealed class Launch
    {
        public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow.AddSeconds(-1);

        public TaskCompletionSource<long> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Set (under the gate) when a power action ended this launch on purpose.</summary>
        public bool StopExpected { get; set; }

        /// <summary>Set (under the gate) when a fault killed the agent: an unexpected exit, but one the scenario asked for.</summary>
        public bool KilledByFault { get; set; }

        /// <summary>Set (under the gate) between a self-reboot's exit and the restart, so the board stays on through it.</summary>
        public bool RestartPending { get; set; }

        public bool Finished => Exited.Task.IsCompleted;
    }

    public ContainerBoardDriver(string name, ContainerBoardOptions options, string stateDirectory, int seed, TimeProvider? time = null)
        : base(name)
    {
        _name = name;
        _options = options;
        _stateDirectory = Path.GetFullPath(stateDirectory);
        _seed = seed;
        _settings = new Dictionary<string, string>(options.Settings);
        Directory.CreateDirectory(_stateDirectory);
        DataDirectory = Path.Combine(_stateDirectory, "data");
        Directory.CreateDirectory(DataDirectory);
        _containerName = $"hilrig-{DockerEngine.RunId}-{Interlocked.Increment(ref _instances)}-{name}";
        try
        {
            _pty = Pty.Open();
        }
        catch (IOException e)
        {
            throw new RigFaultException($"cannot open a pty for board {name}: {e.Message}", e);
        }
        Log = new ConsoleLog(Path.Combine(_stateDirectory, "console.log"), time);
        Console = new FdConsole(_pty.MasterFd, name, Log, time);
    }

    public FdConsole Console { get; }

    protected override IConsoleProtocol BoardConsole => Console;

    public ConsoleLog Log { get; }

    public string DataDirectory { get; }

    /// <summary>The A/B disk the agent uses when it has one (its <c>ab.disk</c> default, in the data directory).</summary>
    public string? DiskImage => Path.Combine(DataDirectory, "disk.img");

    /// <summary>The container's log (the agent's stdout and stderr) as collected when it stopped unexpectedly.</summary>
    public string DiagnosticsPath => Path.Combine(_stateDirectory, "container.log");

    /// <summary>The board container's id once created (tests and the report).</summary>
    public string? ContainerId => _container?.Id;

    /// <summary>The network holder's container id, when the board is on a network.</summary>
    public string? HolderId => _holder?.Id;

    public string ProvisioningRoot => Path.Combine(DataDirectory, "provisioned");

    /// <summary>Writes the file into the data volume; returns where the agent reads it (under <see cref="DataMount"/>).</summary>
    public string Provision(string relativePath, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        ProvisionedFiles.Write(_name, ProvisioningRoot, relativePath, content, mode);
        return DataMount + "/provisioned/" + string.Join('/', ProvisionedFiles.Parts(_name, relativePath));
    }

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
            lock (Gate) return _current is { } c && (!c.Finished || c.RestartPending) ? PowerState.On : PowerState.Off;
        }
    }


    /// <summary>The daemon, the image, then (after <see cref="BeforeFirstPowerOn"/>) the board container, created at its first start.</summary>
    protected override async Task PrepareFirstPowerOnAsync(CancellationToken cancellation)
    {
        var image = await ImageAsync(cancellation);
        await base.PrepareFirstPowerOnAsync(cancellation);
        var networkMode = _holder is null ? "none" : "container:" + _holder.Id;
        _container = Build(image, _containerName)
            .WithEntrypoint(Agent)
            .WithCommand("--console", ConsoleInContainer, "--config", DataMount + "/" + ConfigFileName)
            .WithBindMount(_pty.SlavePath, ConsoleInContainer)
            .WithBindMount(DataDirectory, DataMount)
            .WithCreateParameterModifier(p =>
            {
                p.HostConfig ??= new HostConfig();
                p.HostConfig.NetworkMode = networkMode;
                // docker-init (tini) as PID 1, the agent under it: the kernel ignores even SIGKILL that PID 1 sends itself,
                // and the agent dies that way at a CM fault point ("as if its power was cut"). tini forwards docker stop's
                // SIGTERM to the agent and exits with its code (128+N when a signal ended it).
                p.HostConfig.Init = true;
                p.StopTimeout = _options.StopTimeout;
                // A container in another's network namespace shares its hostname (the holder's).
                if (_holder is null) p.Hostname = _name;
            })
            .Build();
    }

    private readonly SemaphoreSlim _prepareLock = new(1, 1);
    private string? _image;

    /// <summary>Makes sure a daemon runs and has the board image; returns its reference. Once per board.</summary>
    private async Task<string> ImageAsync(CancellationToken cancellation)
    {
        await _prepareLock.WaitAsync(cancellation);
        try
        {
            if (_image is not null) return _image;
            var (tarball, sha) = ContainerImage.Rootfs(_name, _options);
            await DockerEngine.EnsureAsync(cancellation);
            ContainerReaper.EnsureStarted();
            _client ??= DockerEngine.CreateClient();
            return _image = await ContainerImage.EnsureAsync(_client, tarball, sha, cancellation);
        }
        finally
        {
            _prepareLock.Release();
        }
    }

    /// <summary>
    /// Starts the board's network holder — a container that only sleeps, with no network of its own — and returns its pid,
    /// whose namespace the rig's network puts the board's interface in; the board container joins that namespace at its
    /// first power-on. The holder lives until the board is released, so the interface survives every reboot and cut.
    /// Called by the network (possibly before the first power-on, when a step asks for the board's namespace).
    /// </summary>
    public int EnsureNetworkHolder() => EnsureNetworkHolderAsync(CancellationToken.None).GetAwaiter().GetResult();

    private async Task<int> EnsureNetworkHolderAsync(CancellationToken cancellation)
    {
        var image = await ImageAsync(cancellation);
        if (_container is not null) throw new InvalidOperationException($"board {_name}: its container exists already; the network must join before the first power-on");
        _holder ??= Build(image, _containerName + "-net")
            .WithEntrypoint("/bin/sleep")
            .WithCommand("2147483647")
            .WithCreateParameterModifier(p =>
            {
                p.HostConfig ??= new HostConfig();
                p.HostConfig.NetworkMode = "none";
                p.Hostname = _name;
            })
            .Build();
        if (_holder.State != TestcontainersStates.Running) await StartContainerAsync(_holder, "network holder", cancellation);
        var inspect = await _client!.Containers.InspectContainerAsync(_holder.Id, cancellation);
        var pid = inspect.State?.Pid ?? 0;
        if (pid <= 0) throw new RigFaultException($"board {_name}: Docker reports no process for the network holder container {_holder.Id[..12]}");
        Log.Annotate($"network: the board's namespace is held by container {_holder.Id[..12]} (pid {pid})");
        return (int)pid;
    }

    private ContainerBuilder Build(string image, string containerName) =>
        new ContainerBuilder(image)
            .WithDockerEndpoint("unix://" + DockerEngine.SocketPath)
            .WithName(containerName)
            .WithImagePullPolicy(PullPolicy.Never)
            .WithLabel(ContainerReaper.RunLabel, DockerEngine.RunId)
            .WithLabel(ContainerReaper.BoardLabel, _name)
            .WithAutoRemove(false)
            .WithCleanUp(false)
            .WithLogger(NullLogger.Instance);

    private async Task StartContainerAsync(IContainer container, string what, CancellationToken cancellation)
    {
        try
        {
            await container.StartAsync(cancellation);
        }
        catch (Exception e) when (e is DockerApiException or InvalidOperationException or TimeoutException or ArgumentException)
        {
            throw new RigFaultException($"board {_name}: Docker could not start the {what} container: {e.Message}", e);
        }
    }

    public const string ConfigFileName = "board.json";

    protected override async Task StartAsync(string bootReason, CancellationToken cancellation)
    {
        WriteConfig(bootReason);
        var launch = new Launch();
        Launch? previous;
        lock (Gate)
        {
            previous = _current;
            _current = launch;
        }
        try
        {
            // The first start creates the container through Testcontainers; later ones start the same container again.
            if (previous is null) await StartContainerAsync(_container!, "board", cancellation);
            else await _client!.Containers.StartContainerAsync(_container!.Id, new ContainerStartParameters(), cancellation);
        }
        catch (DockerApiException e)
        {
            launch.Exited.TrySetResult(-1);
            throw new RigFaultException($"board {_name}: Docker could not start its container: {e.ResponseBody?.Trim()}", e);
        }
        catch (RigFaultException)
        {
            launch.Exited.TrySetResult(-1);
            throw;
        }
        Log.Annotate($"{bootReason}: started container {_container!.Id[..12]}");
        _ = WatchAsync(launch);
    }

    /// <summary>
    /// Writes <c>board.json</c> into the data volume. A setting naming a host file or directory (outside the volume) is
    /// copied into <c>/data/host/…</c> and handed over as that path: the container sees nothing else of the host.
    /// </summary>
    private void WriteConfig(string bootReason)
    {
        Dictionary<string, string> settings;
        lock (Gate) settings = new Dictionary<string, string>(_settings);
        foreach (var (key, value) in settings.ToList())
        {
            if (!Path.IsPathFullyQualified(value) || value.StartsWith(DataMount + "/", StringComparison.Ordinal)) continue;
            if (!File.Exists(value) && !Directory.Exists(value)) continue;
            var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..12];
            var relative = $"host/{id}/{Path.GetFileName(value.TrimEnd('/'))}";
            var target = Path.Combine(DataDirectory, relative);
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(value)) File.Copy(value, target, overwrite: true);
            else CopyDirectory(value, target);
            settings[key] = DataMount + "/" + relative;
        }
        BoardConfigFile.Write(Path.Combine(DataDirectory, ConfigFileName), _name, _options.Firmware, _options.Roles, DataMount, bootReason, _seed, settings);
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        foreach (var directory in Directory.EnumerateDirectories(from)) CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
    }

    private async Task WatchAsync(Launch launch)
    {
        long code;
        try
        {
            code = (await _client!.Containers.WaitContainerAsync(_container!.Id, CancellationToken.None)).StatusCode;
        }
        catch (Exception e) when (e is DockerApiException or IOException or HttpRequestException or ObjectDisposedException)
        {
            code = -1;
        }
        bool expected, rebooting, killedByFault;
        lock (Gate)
        {
            expected = launch.StopExpected;
            killedByFault = launch.KilledByFault;
            rebooting = !expected && code == RebootExitCode;
            launch.RestartPending = rebooting;
        }
        if (expected) Log.Annotate($"container stopped (exit {code})");
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
            var log = await CollectLogAsync();
            var outside = killedByFault ? null : await OutsideCauseAsync(launch, code);
            Record(PowerEventKind.UnexpectedExit, $"exit code {code}");
            Log.Annotate($"container exited unexpectedly with code {code}; see {Path.GetFileName(DiagnosticsPath)}");
            lock (Gate)
            {
                // The agent's own failure (a crash, or its own SIGKILL at a fault point: 137) is the device's, as on a process
                // board; a container ended from outside (removed, OOM, killed through Docker, daemon gone) or an agent that
                // refused its command line (2) is the rig's.
                StopWasRigFault = !killedByFault && (outside is not null || code == UsageExitCode);
                StopReason = $"the container of board {_name} exited with code {code}" +
                             (killedByFault ? " (its device process was killed by a fault)" : "") + (outside is null ? "" : $": {outside}") +
                             (log.Length > 0 ? $"; its log:\n{log}" : "");
            }
        }
        launch.Exited.TrySetResult(code);
        if (rebooting) await RestartAfterRebootAsync(launch);
    }

    /// <summary>
    /// Why the container ended when the cause lies outside the agent — it was removed, ran out of memory, or Docker killed it
    /// at someone else's request (a <c>kill</c> event the harness did not cause) — else null: the agent ended by itself.
    /// </summary>
    private async Task<string?> OutsideCauseAsync(Launch launch, long code)
    {
        if (code == -1) return "the Docker daemon stopped answering";
        try
        {
            var inspect = await _client!.Containers.InspectContainerAsync(_container!.Id, CancellationToken.None);
            if (inspect.State?.OOMKilled == true) return "the kernel killed it for lack of memory (OOM)";
            string? signal = null;
            using var window = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var events = new ContainerEventsParameters
            {
                Since = launch.StartedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                Until = (DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1).ToString(CultureInfo.InvariantCulture),
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["container"] = new Dictionary<string, bool> { [_container.Id] = true },
                    ["event"] = new Dictionary<string, bool> { ["kill"] = true },
                },
            };
            await _client.System.MonitorEventsAsync(events,
                new SyncProgress<Message>(m => signal ??= m.Actor?.Attributes is { } a && a.TryGetValue("signal", out var s) ? s : "?"), window.Token);
            return signal is null ? null : $"Docker killed it (signal {signal}) at a request that was not the harness's";
        }
        catch (DockerContainerNotFoundException)
        {
            return "its container was removed by someone other than the harness";
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return "its container was removed by someone other than the harness";
        }
        catch (Exception e) when (e is DockerApiException or IOException or HttpRequestException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task<string> CollectLogAsync()
    {
        try
        {
            var (stdout, stderr) = await _container!.GetLogsAsync(ct: CancellationToken.None);
            var text = (stdout + stderr).Trim();
            await File.AppendAllTextAsync(DiagnosticsPath, $"--- container {_container.Id[..12]} of board {_name}, {DateTimeOffset.Now:O}\n{(text.Length > 0 ? text : "(the agent wrote nothing to stdout or stderr)")}\n");
            return text.Length == 0 ? "    (empty: the agent wrote nothing to stdout or stderr)" : string.Join('\n', text.Split('\n').TakeLast(15).Select(l => "    | " + l));
        }
        catch (Exception e) when (e is DockerApiException or IOException or HttpRequestException or InvalidOperationException)
        {
            return $"    (its log could not be read: {e.Message})";
        }
    }

    private Task RestartAfterRebootAsync(Launch launch) => UnderPowerLockAsync(async () =>
    {
        try
        {
            bool restart;
            lock (Gate) restart = !Released && !launch.StopExpected && ReferenceEquals(_current, launch);
            if (!restart)
            {
                lock (Gate) launch.RestartPending = false;
                Log.Annotate("not restarting after the reboot: power was switched off meanwhile");
                return;
            }
            try
            {
                await StartAsync("reboot", CancellationToken.None);
            }
            finally
            {
                lock (Gate) launch.RestartPending = false;
            }
        }
        catch (RigFaultException e)
        {
            Log.Annotate($"restart after reboot failed: {e.Message}");
            lock (Gate)
            {
                StopReason = e.Message;
                StopWasRigFault = true;
            }
        }
    });

    protected override Launch? EndCurrentLaunch()
    {
        lock (Gate)
        {
            if (_current is null || (_current.Finished && !_current.RestartPending)) return null;
            _current.StopExpected = true;
            _current.RestartPending = false;
            return _current;
        }
    }

    /// <summary>docker stop: SIGTERM through tini to the agent, SIGKILL after the board's stop timeout.</summary>
    protected override async Task StopOrderlyAsync(Launch launch, CancellationToken cancellation)
    {
        if (!launch.Finished)
            await _client!.Containers.StopContainerAsync(_container!.Id,
                new ContainerStopParameters { WaitBeforeKillSeconds = (uint)_options.StopTimeout.TotalSeconds }, cancellation);
        await launch.Exited.Task.WaitAsync(cancellation);
    }

    protected override async Task CutPowerAsync(Launch launch, CancellationToken cancellation)
    {
        if (!launch.Finished) await KillAsync(cancellation);
        await launch.Exited.Task.WaitAsync(cancellation);
    }

    private async Task KillAsync(CancellationToken cancellation)
    {
        try
        {
            await _client!.Containers.KillContainerAsync(_container!.Id, new ContainerKillParameters { Signal = "KILL" }, cancellation);
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // Not running any more: it exited on its own between the check and the kill.
        }
    }

    /// <summary>A fault plan's process kill: SIGKILL to the agent, no power event; the board sees an unexpected exit.</summary>
    public async Task KillDeviceProcessAsync(CancellationToken cancellation)
    {
        Launch launch;
        lock (Gate)
        {
            if (_current is not { Finished: false } current)
                throw new InvalidOperationException($"board {_name} is not running: there is no device process to kill");
            launch = current;
            launch.KilledByFault = true;
        }
        await KillAsync(cancellation);
        await launch.Exited.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellation);
    }

    /// <summary>HilRig.Device's reboot exit code (src/HilRig.Device/DeviceExitCode.cs).</summary>
    public const int RebootExitCode = 82;

    /// <summary>HilRig.Device's exit code for a command line or config it cannot use.</summary>
    public const int UsageExitCode = 2;

    public IEnumerable<(string Name, string Path)> Evidence()
    {
        if (File.Exists(DiagnosticsPath) && new FileInfo(DiagnosticsPath).Length > 0) yield return ($"{_name} container log", DiagnosticsPath);
    }

    /// <summary>Cuts the power, then removes the board's containers (the holder last: its namespace carries the TAP).</summary>
    public async ValueTask DisposeAsync()
    {
        MarkReleased();
        try
        {
            if (_client is not null) await CutAsync();
        }
        finally
        {
            foreach (var container in new[] { _container, _holder })
            {
                if (container is null) continue;
                // docker rm -f: SIGKILL and removal at once (a stop would give the holder's sleep, which ignores SIGTERM as
                // PID 1, the whole stop timeout). Testcontainers' own dispose then finds nothing left to do.
                try
                {
                    if (_client is not null && container.State != TestcontainersStates.Undefined)
                        await _client.Containers.RemoveContainerAsync(container.Id, new ContainerRemoveParameters { Force = true });
                }
                catch (Exception e) when (e is DockerApiException or InvalidOperationException or HttpRequestException or IOException)
                {
                    // Already gone, or the daemon is; the reaper removes by label otherwise.
                }
                try
                {
                    await container.DisposeAsync();
                }
                catch (Exception e) when (e is DockerApiException or InvalidOperationException or HttpRequestException or IOException)
                {
                }
            }
            _client?.Dispose();
            Console.Dispose();
            Log.Dispose();
            _pty.Dispose();
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"container board {_name}");
}
