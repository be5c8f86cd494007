using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using HilRig.Engine.Runtime;
using HilRig.Rig.Native;

namespace HilRig.Rig.Drivers.Container;

/// <summary>
/// The Docker daemon container boards run on. When one answers on <see cref="SocketPath"/> it is used as it is. When
/// none answers and the harness is root, it starts its own: <c>dockerd</c> found on PATH (or /usr/sbin), in its own
/// session, with <c>--iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false</c>, so it
/// changes nothing on the host's network (no docker0, no DOCKER chains, FORWARD policy and ip_forward untouched):
/// board containers have no Docker network anyway (none, or a SimNet TAP in their namespace). What it does create —
/// the socket, /var/lib/docker (the imported board image is cached there) and its containerd — goes away with it,
/// but /var/lib/docker, which keeps the image for the next run.
/// <para>
/// Several harness processes may share that daemon: each holds a shared lock on <see cref="UsersLock"/> while it
/// may use it, and whoever leaves last (takes the lock exclusively) stops it — at exit, on SIGINT/SIGTERM, or, after a
/// SIGKILL, the harness's <see cref="ContainerReaper"/>.
/// </para>
/// </summary>
public static class DockerEngine
{
    /// <summary>The daemon's socket: <c>/var/run/docker.sock</c>, or the one <c>DOCKER_HOST=unix://…</c> names (as for the docker CLI).</summary>
    public static string SocketPath =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { } host && host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..] : "/var/run/docker.sock";

    /// <summary>The dockerd a harness starts: <c>HILRIG_DOCKERD</c> when set, else <c>dockerd</c> on PATH (or /usr/sbin).</summary>
    public static string? DaemonBinary =>
        Environment.GetEnvironmentVariable("HILRIG_DOCKERD") is { Length: > 0 } configured
            ? (File.Exists(configured) ? configured : null)
            : Model.RigProbe.FindOnPath("dockerd");

    private static string DaemonName => Environment.GetEnvironmentVariable("HILRIG_DOCKERD") is { Length: > 0 } configured ? configured + " (HILRIG_DOCKERD)" : "dockerd";

    /// <summary>Docker 20.10 (Debian 12's docker.io) speaks API 1.41; Testcontainers would ask for 1.44 (platform-infra §10b).</summary>
    public const string ApiVersion = "1.41";

    public const string StateDirectory = "/run/hilrig-docker";
    /// <summary>Records are per socket, so a daemon on another socket (DOCKER_HOST) never touches the default one's.</summary>
    private static string RecordPrefix => Path.Combine(StateDirectory, SocketPath.Trim('/').Replace('/', '_'));

    public static string UsersLock => RecordPrefix + ".users.lock";

    /// <summary>The pid of the dockerd a harness started, while it runs; what the last user stops.</summary>
    public static string OwnerRecord => RecordPrefix + ".dockerd.pid";

    public static string DaemonLog => RecordPrefix + ".dockerd.log";

    public static string[] DaemonArguments =>
        ["--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-forward=false", "--ip-masq=false", "--host", "unix://" + SocketPath];

    private static readonly SemaphoreSlim EnsureLock = new(1, 1);
    private static FileStream? _userLock;
    private static bool _ready;

    /// <summary>Makes sure a daemon answers, starting the harness's own when none does; throws a rig fault saying why it cannot.</summary>
    public static async Task EnsureAsync(CancellationToken cancellation)
    {
        if (_ready) return;
        await EnsureLock.WaitAsync(cancellation);
        try
        {
            if (_ready) return;
            Environment.SetEnvironmentVariable("DOCKER_API_VERSION", ApiVersion);
            // Ryuk's image cannot be pulled here; the harness removes its containers itself (ContainerReaper).
            Environment.SetEnvironmentVariable("TESTCONTAINERS_RYUK_DISABLED", "true");
            if (await PingAsync(cancellation) is null)
            {
                if (Libc.geteuid() != 0)
                    throw new RigFaultException($"no Docker daemon answers on {SocketPath}, and hilrig is not root so it cannot start its own: start dockerd, or run as root");
                var dockerd = DaemonBinary
                              ?? throw new RigFaultException($"no Docker daemon answers on {SocketPath} and {DaemonName} is not installed (apt-get install docker.io; scripts/ensure-tools does it)");
                await StartOwnAsync(dockerd, cancellation);
            }
            _ready = true;
        }
        finally
        {
            EnsureLock.Release();
        }
    }

    private static async Task StartOwnAsync(string dockerd, CancellationToken cancellation)
    {
        Directory.CreateDirectory(StateDirectory);
        TakeSharedLock();
        // Another harness may be starting one right now: the start lock makes that a wait for its daemon.
        using (var starting = await OpenExclusiveAsync(RecordPrefix + ".start.lock", TimeSpan.FromSeconds(60), cancellation))
        {
            if (await PingAsync(cancellation) is not null) return;
            // Its output goes to a file, not a pipe of ours: the daemon may outlive this process by design (other users).
            var shell = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
            shell.ArgumentList.Add("-c");
            shell.ArgumentList.Add("exec setsid \"$0\" \"$@\" </dev/null >>" + DaemonLog + " 2>&1");
            shell.ArgumentList.Add(dockerd);
            foreach (var a in DaemonArguments) shell.ArgumentList.Add(a);
            var logStart = File.Exists(DaemonLog) ? new FileInfo(DaemonLog).Length : 0;
            Process process;
            try
            {
                process = Process.Start(shell) ?? throw new RigFaultException($"could not start {dockerd}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new RigFaultException($"cannot start {dockerd}: {e.Message}", e);
            }
            File.WriteAllText(OwnerRecord, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // One hook, in this order: containers are removed while the daemon still runs, then the daemon is left.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                ContainerReaper.RemoveRunContainers();
                LeaveDaemon();
            };
            Leftovers.Register("the Docker daemon hilrig started", LeaveDaemon, order: 2);
            var deadline = Stopwatch.StartNew();
            while (await PingAsync(cancellation) is null)
            {
                if (process.HasExited)
                {
                    File.Delete(OwnerRecord);
                    throw new RigFaultException($"{dockerd} exited with code {process.ExitCode} before answering on {SocketPath}; its log ({DaemonLog}):\n{Tail(DaemonLog, logStart)}");
                }
                if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    process.Kill();
                    File.Delete(OwnerRecord);
                    throw new RigFaultException($"{dockerd} did not answer on {SocketPath} within 30 s; its log ({DaemonLog}):\n{Tail(DaemonLog, logStart)}");
                }
                await Task.Delay(50, cancellation);
            }
        }
    }

    private static string Tail(string path, long from)
    {
        if (!File.Exists(path)) return "(no log)";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = Math.Min(from, stream.Length);
        var lines = new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines.TakeLast(15).Select(l => "    | " + l));
    }

    /// <summary>A shared flock (a read-only FileStream shared for reading is LOCK_SH|LOCK_NB on Unix), retried while the last user stops the daemon.</summary>
    private static void TakeSharedLock()
    {
        if (_userLock is not null) return;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (!File.Exists(UsersLock)) File.WriteAllText(UsersLock, "");
                _userLock = new FileStream(UsersLock, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return;
            }
            catch (IOException) when (attempt < 300)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static async Task<FileStream> OpenExclusiveAsync(string path, TimeSpan timeout, CancellationToken cancellation)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (deadline.Elapsed < timeout)
            {
                await Task.Delay(100, cancellation);
            }
        }
    }

    /// <summary>Drops this process's use of the harness-started daemon and stops it when no other harness uses it.</summary>
    public static void LeaveDaemon()
    {
        lock (EnsureLock)
        {
            _userLock?.Dispose();
            _userLock = null;
            _ready = false;
            if (!File.Exists(OwnerRecord)) return;
            FileStream last;
            try
            {
                last = new FileStream(UsersLock, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                return; // another harness still uses it; the last one stops it
            }
            using (last)
            {
                if (!int.TryParse(File.ReadAllText(OwnerRecord).Trim(), out var pid)) return;
                StopDaemon(pid);
                File.Delete(OwnerRecord);
            }
        }
    }

    private static void StopDaemon(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            Libc.kill(pid, Libc.SIGTERM);
            // dockerd stops its containerd and removes its socket on SIGTERM; 20 s is more than it takes (≈1 s).
            if (!process.WaitForExit(TimeSpan.FromSeconds(20))) process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
            // Already gone.
        }
    }

    /// <summary>The daemon's version line when it answers on the socket, else null.</summary>
    public static async Task<string?> PingAsync(CancellationToken cancellation = default)
    {
        if (!File.Exists(SocketPath)) return null;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), timeout.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /v{ApiVersion}/version HTTP/1.0\r\nHost: docker\r\n\r\n"), timeout.Token);
            var response = new StringBuilder();
            var buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, timeout.Token)) > 0) response.Append(Encoding.UTF8.GetString(buffer, 0, n));
            var text = response.ToString();
            if (!text.StartsWith("HTTP/1.", StringComparison.Ordinal) || !text.Contains(" 200 ", StringComparison.Ordinal)) return null;
            var body = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            using var json = System.Text.Json.JsonDocument.Parse(body);
            var version = json.RootElement.GetProperty("Version").GetString();
            var api = json.RootElement.GetProperty("ApiVersion").GetString();
            return $"Docker {version} (API {api})";
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
        {
            if (cancellation.IsCancellationRequested) throw;
            return null;
        }
    }

    /// <summary>A Docker API client on the socket, at the API version Debian's daemon speaks.</summary>
    public static Docker.DotNet.DockerClient CreateClient() =>
        new Docker.DotNet.DockerClientBuilder()
            .WithEndpoint(new Uri("unix://" + SocketPath))
            .WithApiVersion(new Version(ApiVersion))
            .Build();

    /// <summary>What <c>rig check</c> reports: the daemon that answers, or what a run would do about it.</summary>
    public static (bool Ok, string Detail) Probe()
    {
        var answer = PingAsync().GetAwaiter().GetResult();
        if (answer is not null) return (true, $"{answer} answers on {SocketPath}");
        var dockerd = DaemonBinary;
        if (Libc.geteuid() != 0) return (false, $"no Docker daemon answers on {SocketPath}, and as {Environment.UserName} hilrig cannot start one: start dockerd or run as root");
        if (dockerd is null) return (false, $"no Docker daemon answers on {SocketPath} and {DaemonName} is not installed: apt-get install docker.io");
        return (true, $"none answers on {SocketPath}; a run starts {dockerd} ({string.Join(' ', DaemonArguments.Take(5))}) and stops it at the end");
    }

    /// <summary>For tests: whether a harness-started daemon is recorded as running.</summary>
    internal static bool OwnDaemonRecorded => File.Exists(OwnerRecord);

    internal static void ForgetReadiness() => _ready = false;

    /// <summary>The process id of <c>hilrig</c> with its start time: labels every container of this run.</summary>
    public static string RunId { get; } = $"{Environment.ProcessId}-{Environment.TickCount64}";

}
