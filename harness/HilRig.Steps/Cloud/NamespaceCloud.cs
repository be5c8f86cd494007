using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Engine.Runtime;
using HilRig.Simulators.SimNet;

namespace HilRig.Steps.Cloud;

/// <summary>
/// The cloud as its own process (the HilRig.Cloud exe) in its own SimNet namespace, started with <c>ip netns exec</c>:
/// units reach it across SimNet at its rig address, so its traffic is impaired, partitioned and captured like any
/// host's. The harness drives its operator API from a socket made inside the cloud's namespace (an operator on the
/// cloud's machine), so that traffic never crosses the switch. The process exits when the harness closes its stdin.
/// </summary>
public sealed class NamespaceCloud : IUpdateCloud
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Task _pumps;
    private HttpClient? _http;
    private CloudApiClient? _api;

    private NamespaceCloud(Process process, NamespaceHost host, Uri unitUrl, CloudDataDirectory data, StreamWriter log, Task pumps)
    {
        _process = process;
        _log = log;
        _pumps = pumps;
        Host = host;
        UnitUrl = unitUrl;
        Data = data;
    }

    public NamespaceHost Host { get; }

    public Uri UnitUrl { get; }

    public CloudDataDirectory Data { get; }

    public CloudApiClient Api => _api ?? throw new InvalidOperationException("the cloud has not started listening");

    /// <summary>Where the cloud writes its TLS secrets, so the scenario's capture can be decrypted.</summary>
    public static string TlsKeyLogPath(CloudSettings settings) => Path.Combine(Path.GetFullPath(settings.DataDirectory), "tls-keys.log");

    public SocketsHttpHandler OperatorHandler() => NamespaceSockets.Handler(Host.Namespace);

    public Socket BindOnHost(IPEndPoint endpoint) => NamespaceSockets.BoundTcp(Host.Namespace, endpoint);

    /// <summary>Once the cloud listens, its data directory holds the CA and the admin token the operator client needs.</summary>
    private void ConnectOperator()
    {
        _http = CloudTrust.OperatorClient(OperatorHandler(), Data, CloudTrust.AdminToken(Data), TimeSpan.FromSeconds(60));
        _api = new CloudApiClient(_http, new Uri($"https://127.0.0.1:{UnitUrl.Port}/"));
    }

    public string Where => $"process {_process.Id} in {Host}";

    /// <summary>HilRig.Cloud.dll: <c>HILRIG_CLOUD</c>, or this repository's build of the harness's configuration.</summary>
    public static string Locate() => DeviceLocator.FindProgram("HilRig.Cloud", "HILRIG_CLOUD");

    public static async Task<NamespaceCloud> StartAsync(NamespaceHost host, CloudSettings settings, string logPath, CancellationToken ct)
    {
        Directory.CreateDirectory(settings.DataDirectory);
        var unitUrl = new Uri($"https://{host.Address}:{settings.Port}/");
        var info = host.StartInfo(DeviceLocator.DotnetHost(), Locate(),
            "--data", Path.GetFullPath(settings.DataDirectory),
            "--key", settings.SigningKeyPath,
            "--upload-trust", settings.UploadTrustPath,
            "--listen", $"https://0.0.0.0:{settings.Port}",
            "--public-url", unitUrl.AbsoluteUri,
            "--throttle", settings.Throttle.ToString("c", CultureInfo.InvariantCulture),
            "--tls-key-log", TlsKeyLogPath(settings),
            "--lifeline");
        DeviceLocator.ShortLivedRuntime(info);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = Process.Start(info) ?? throw new RigFaultException("could not start the cloud process");
        // Killed with the board processes when a run is abandoned, not only when its stdin (the lifeline) closes.
        ChildProcesses.Track(process);
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task Pump(StreamReader reader)
        {
            while (await reader.ReadLineAsync(CancellationToken.None) is { } line)
            {
                lock (log) log.WriteLine(line);
                if (line.StartsWith("hilrig-cloud listening on", StringComparison.Ordinal)) listening.TrySetResult();
            }
        }
        var pumps = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
        var cloud = new NamespaceCloud(process, host, unitUrl, new CloudDataDirectory(settings.DataDirectory), log, pumps);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            var exited = process.WaitForExitAsync(timeout.Token);
            var first = await Task.WhenAny(listening.Task, exited);
            if (first != listening.Task)
            {
                ct.ThrowIfCancellationRequested();
                await pumps.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ContinueWith(_ => { });
                var output = File.Exists(logPath) ? await File.ReadAllTextAsync(logPath, CancellationToken.None) : "";
                throw new RigFaultException(process.HasExited
                    ? $"the cloud in {host} exited with {process.ExitCode} before listening:\n{output}"
                    : $"the cloud in {host} did not start listening within {StartTimeout.TotalSeconds} s:\n{output}");
            }
            cloud.ConnectOperator();
            return cloud;
        }
        catch
        {
            await cloud.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        try
        {
            // The lifeline: the cloud stops cleanly when its stdin closes.
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            try { _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        await _pumps.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ContinueWith(_ => { });
        lock (_log) _log.Dispose();
        ChildProcesses.Forget(_process);
        _process.Dispose();
    }
}
