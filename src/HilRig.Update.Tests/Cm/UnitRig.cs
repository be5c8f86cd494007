using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Testing;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Hosting;
using HilRig.Update.Security;
using HilRig.Update.Um;
using HilRig.Update.Um.Modules;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HilRig.Update.Tests.Cm;

/// <summary>
/// A unit on loopback, every part real: the cloud (Kestrel + SQLite), the CM (Grpc.AspNetCore, mutual TLS with node
/// certificates from a unit CA made for the rig), and three UMs
/// (main, node-2, node-3) connected over gRPC, each with a <c>file</c> module and a <c>test</c> module. CM and UMs
/// can be stopped and started again on the same state, as a crash or reboot would.
/// </summary>
internal sealed class UnitRig : IAsyncDisposable
{
    public const string Platform = "hilrig-pi";
    public const string UnitId = "unit-1";
    public static readonly string[] Nodes = ["main", "node-2", "node-3"];

    private readonly HttpClient _plainHttp = new();
    private readonly Dictionary<string, UmRuntime> _ums = new();
    private readonly Dictionary<string, HttpClient> _unitClients = new();
    private HttpClient? _operator;
    private CmRuntime? _cm;
    private UnitCredentials? _credentials;
    private int _cmPort;

    private UnitRig(string dir) => Directory = dir;

    public string Directory { get; }

    /// <summary>The unit's node CA, as provisioning holds it: it issued the CM's and every UM's certificate.</summary>
    public UnitCa NodeCa { get; } = UnitCa.Create(UnitId);

    /// <summary>Names in the CM's certificate: what its UMs dial.</summary>
    public static readonly string[] CmNames = ["127.0.0.1", "localhost"];
    public CloudHost Cloud { get; private set; } = null!;
    public ECDiffieHellman UnitKey { get; } = KeyFiles.LoadAgreementKey(RepoPaths.Fixtures("update", "test-only-unit.pem"));
    public TrustStore UnitTrust { get; set; } = TrustStore.Load(RepoPaths.Fixtures("update", "test-only-trust.json"));
    public CommunicationManager Cm => _cm!.Manager;
    /// <summary>Sits between the CM and its TLS connection to the cloud (a man in the middle who holds the unit's credentials).</summary>
    public DelegatingHandler? CmHttpInterceptor { get; set; }
    public ImageDeployment Deployment { get; set; } = ImageDeployment.SharedStorage;
    public TimeProvider CmTime { get; set; } = TimeProvider.System;

    /// <summary>The CM's periodic check-in (zero: only on demand, the default).</summary>
    public TimeSpan CheckInPeriod { get; set; } = TimeSpan.Zero;
    public IReadOnlyList<Uri> Mirrors { get; set; } = [];
    /// <summary>An operator: the admin token (every role), the cloud checked against its CA.</summary>
    public HttpClient Http => _operator ??= CloudTrust.OperatorClient(new SocketsHttpHandler(), Cloud.Data, CloudTrust.AdminToken(Cloud.Data), TimeSpan.FromSeconds(60));

    /// <summary>A client for <paramref name="unitId"/>: enrolled with the cloud on first use, its certificate on every connection.</summary>
    public HttpClient UnitClient(string unitId)
    {
        if (_unitClients.TryGetValue(unitId, out var client)) return client;
        var credentials = UnitCredentials.Load(Enroll(unitId));
        return _unitClients[unitId] = new HttpClient(credentials.CreateHandler()) { BaseAddress = Cloud.Address };
    }

    /// <summary>Issues <paramref name="unitId"/> a certificate (as <c>hilrig cloud enroll</c>); returns the directory with unit.crt, unit.key, ca.crt.</summary>
    public string Enroll(string unitId, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        var dir = Path.Combine(Directory, "units", $"{unitId}-{Guid.NewGuid():N}"[..(unitId.Length + 9)]);
        CloudEnrollment.EnrollAsync(Cloud.Data, unitId, dir, DateTimeOffset.UtcNow, notBefore, notAfter).GetAwaiter().GetResult();
        return dir;
    }

    /// <summary>Annotations (JSON) the next bundles give a component, by component id.</summary>
    public Dictionary<string, string> Annotations { get; } = new();

    /// <summary>The UMs the CM waits for; the three process nodes unless a test brings its own (a grpc-js UM).</summary>
    public IReadOnlyList<string> ExpectedNodes { get; set; } = Nodes;

    public static async Task<UnitRig> StartAsync(string name, bool startUnit = true, TimeProvider? cloudTime = null)
    {
        var rig = new UnitRig(RepoPaths.NewTempDirectory(name));
        await rig.StartCloudAsync(cloudTime);
        if (startUnit) await rig.StartUnitAsync();
        return rig;
    }

    public async Task StartCloudAsync(TimeProvider? time = null)
    {
        Cloud = await CloudHost.StartAsync(new CloudOptions
        {
            DataDirectory = Path.Combine(Directory, "cloud"),
            SigningKeyPath = RepoPaths.Fixtures("update", "test-only-cloud-signing.pem"),
            UploadTrustPath = RepoPaths.Fixtures("update", "test-only-oem-trust.json"),
            Listen = "https://127.0.0.1:0",
            ThrottlePeriod = TimeSpan.FromHours(24),
            Mirrors = Mirrors,
        }, time);
    }

    public async Task StartUnitAsync()
    {
        await StartCmAsync();
        foreach (var node in Nodes) await StartUmAsync(node);
        await WaitAsync(() => Cm.Registry.Statuses.Count == Nodes.Length, "every UM registered");
    }

    public string NodeDir(string node) => Path.Combine(Directory, node);
    public string InstalledFile(string node) => Path.Combine(NodeDir(node), "installed", $"{node}-app.bin");
    public string FailFile(string node) => Path.Combine(NodeDir(node), "state", "modules", $"{node}-test", $"{node}-test.fail-at");

    public async Task StartCmAsync(string? crashAt = null)
    {
        var config = new CmConfig(UnitId, Platform, Cloud.Address, Path.Combine(Directory, "cm"), ExpectedNodes, Deployment)
        {
            StepTimeout = TimeSpan.FromSeconds(20),
            Download = new DownloadOptions { AttemptsPerUrl = 3, FirstRetryDelay = TimeSpan.FromMilliseconds(20) },
            CrashAt = crashAt,
            Credentials = NodeCa.Credentials("main", cm: true, CmNames),
        };
        _credentials ??= UnitCredentials.Load(Enroll(UnitId));
        var interceptor = CmHttpInterceptor;
        _cm = await CmRuntime.StartAsync(config, UnitTrust, UnitKey, _credentials, new IPEndPoint(IPAddress.Loopback, _cmPort), null,
            checkInPeriod: CheckInPeriod, CmTime, interceptCloud: interceptor is null ? null : tls =>
            {
                interceptor.InnerHandler = tls;
                return interceptor;
            });
        _cmPort = _cm.GrpcAddress.Port;
    }

    public CmRuntime CmRuntime => _cm!;

    public async Task StopCmAsync()
    {
        if (_cm is null) return;
        await _cm.DisposeAsync();
        _cm = null;
    }

    public Uri CmAddress => new($"https://127.0.0.1:{_cmPort}/");

    /// <summary>Writes a node's <c>node.crt</c>, <c>node.key</c> and <c>ca.crt</c> for a peer that reads files (a grpc-js UM); returns the directory.</summary>
    public string ProvisionFiles(string node, bool cm = false) => NodeCa.Provision(Path.Combine(Directory, "credentials", node), node, cm, cm ? CmNames : null);

    public async Task StartUmAsync(string node)
    {
        var dir = NodeDir(node);
        var config = new UmConfig(node, node == "main" ? 10u : 0u, Path.Combine(dir, "state"),
        [
            new ModuleConfig($"{node}-app", "file", Params: new Dictionary<string, string> { ["path"] = InstalledFile(node), ["version"] = "1.0" }),
            new ModuleConfig($"{node}-test", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }),
        ]) { Credentials = NodeCa.Credentials(node, cm: node == "main", node == "main" ? CmNames : null) };
        var reboot = new ProcessSystemReboot($"{node}-boot", _ => Task.CompletedTask);
        _ums[node] = await UmRuntime.StartAsync(config, CmAddress, reboot, TimeProvider.System);
    }

    public async Task StopUmAsync(string node)
    {
        await _ums[node].DisposeAsync();
        _ums.Remove(node);
    }

    public UpdateHandler Um(string node) => _ums[node].Handler;

    public TestModule TestModuleOf(string node) => (TestModule)Um(node).Modules.Single(m => m.Type == "test");

    /// <summary>An OEM bundle with a file component per node (content names the version) and optional extra components.</summary>
    public Task<string> MakeBundleAsync(string version, params (string Id, string Content)[] extra) => MakeBundleAsync(version, true, extra);

    public async Task<string> MakeBundleAsync(string version, bool nodeApps, params (string Id, string Content)[] extra)
    {
        var dir = Path.Combine(Directory, "bundles", version);
        System.IO.Directory.CreateDirectory(dir);
        var builder = new BundleBuilder { ChunkSize = 4096 };
        var rng = new Random(version.GetHashCode());
        foreach (var node in nodeApps ? Nodes : [])
        {
            var path = Path.Combine(dir, $"{node}-app.bin");
            var content = new byte[9000];
            rng.NextBytes(content);
            System.Text.Encoding.ASCII.GetBytes($"{node} {version}").CopyTo(content, 0);
            await File.WriteAllBytesAsync(path, content);
            builder.Add(new ComponentSource($"{node}-app", version, path, AnnotationsJson: Annotations.GetValueOrDefault($"{node}-app")));
        }
        foreach (var (id, content) in extra)
        {
            var path = Path.Combine(dir, id);
            await File.WriteAllTextAsync(path, content);
            builder.Add(new ComponentSource(id, version, path, AnnotationsJson: Annotations.GetValueOrDefault(id)));
        }
        builder.AddRecipient(KeyFiles.LoadAgreementPublicKey(RepoPaths.Fixtures("update", "test-only-unit.pub.pem")));
        var bundle = Path.Combine(dir, "bundle.tar");
        using var oem = SigningKey.Load(RepoPaths.Fixtures("update", "test-only-oem-signing.pem"));
        await builder.WriteAsync(bundle, oem);
        return bundle;
    }

    public async Task<long> UploadAsync(string bundle)
    {
        await using var file = File.OpenRead(bundle);
        using var response = await Http.PostAsync(new Uri(Cloud.Address, $"api/platforms/{Platform}/images"), new StreamContent(file));
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return body.GetProperty("imageVersion").GetInt64();
    }

    public async Task<IReadOnlyList<UpdateResult>> CloudResultsAsync() => await Cloud.Service.ResultsAsync(UnitId);

    public static async Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _ums.Keys.ToList()) await StopUmAsync(node);
        await StopCmAsync();
        await Cloud.DisposeAsync();
        UnitKey.Dispose();
        _operator?.Dispose();
        foreach (var c in _unitClients.Values) c.Dispose();
        _credentials?.Dispose();
        NodeCa.Dispose();
        _plainHttp.Dispose();
    }

}
