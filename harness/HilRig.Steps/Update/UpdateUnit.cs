using System.Net;
using System.Net.Sockets;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;
using HilRig.Steps.Ab;
using HilRig.Steps.Boards;
using HilRig.Steps.Cloud;
using HilRig.Steps.Network;
using HilRig.Update.Bundles;
using HilRig.Update.Security;

namespace HilRig.Steps.Update;

/// <summary>
/// One scenario's update setup: the cloud (HilRig.Cloud on Kestrel + SQLite) and a unit of process boards. On a SimNet
/// rig the cloud is its own process in its own namespace (<see cref="NamespaceCloud"/>) and every node reaches the CM
/// at the main board's rig address; without SimNet the cloud is hosted in the harness on loopback
/// (<see cref="LoopbackCloud"/>). Either way the steps drive the cloud over its HTTP API. The unit is a set of boards: — a main node running CM and UM, secondary nodes running a UM each. Every node has a
/// <c>file</c> module <c>&lt;node&gt;-app</c> and a <c>test</c> module <c>&lt;node&gt;-fw</c>, plus whatever a step adds.
/// </summary>
public sealed class UpdateUnit(ScenarioRig rig, ScenarioRun scenario, ScenarioOutput output, AbReleases releases, ScenarioTlsKeys tlsKeys) : IAsyncDisposable
{
    public const string Platform = "hilrig-unit";
    public const string UnitId = "unit-1";

    private readonly Dictionary<string, string> _extraModules = new();
    private readonly List<string> _crashAt = new();
    private IUpdateCloud? _cloud;
    private int _cmPort;
    private UnitCa? _nodeCa;

    /// <summary>Whether CM and UMs talk mutual TLS (the default). Off only for a scenario whose capture must show their gRPC messages.</summary>
    public bool GrpcTls { get; set; } = true;

    /// <summary>
    /// The unit's node CA, as provisioning holds it: made for the scenario, it issues every node's certificate; its key
    /// never leaves the harness. A step plays a rogue node with a certificate of it or of another CA.
    /// </summary>
    public UnitCa NodeCa => _nodeCa ??= UnitCa.Create(UnitId);

    /// <summary>The CM's port on the main board when the unit is on SimNet (each board has its own namespace, so any port is free).</summary>
    public const int SimNetCmPort = 7000;

    /// <summary>What a board's console prints last when it reboots (an orderly shutdown with the reboot exit code).</summary>
    public const string RebootLine = "reboot: Restarting system";

    private static readonly TimeSpan CmStatusTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CmStatusInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Bytes of each component payload the OEM uploads (before encryption).</summary>
    public int ComponentSize { get; set; } = 4096;

    /// <summary>Components that get a different size than <see cref="ComponentSize"/>, by id.</summary>
    public Dictionary<string, int> ComponentSizes { get; } = new();

    /// <summary>SHA-256 of each component payload of the last upload, by id, for checking what arrived.</summary>
    public Dictionary<string, string> UploadedHashes { get; } = new();

    public TimeSpan Throttle { get; set; } = rig.Definition.Cloud?.Options is { } o && o.Has("offer_period") ? o.Duration("offer_period") : TimeSpan.FromDays(1);

    public Board? Main { get; private set; }
    public IReadOnlyList<Board> Nodes { get; private set; } = [];
    public long LastAssigned { get; set; }
    public ShellResult? LastCheckIn { get; set; }

    /// <summary>A check-in started in the background ("When the unit starts checking in"), awaited by a later step.</summary>
    public Task<ShellResult>? PendingCheckIn { get; set; }

    /// <summary>Where the CM is told the cloud is (<c>update.cloud</c>): the cloud's unit URL, unless a step put something in between.</summary>
    public Uri? CmCloudUrl { get; set; }

    public IUpdateCloud Cloud => _cloud ?? throw new InvalidOperationException("the cloud is not running; start it with \"Given the update cloud …\"");

    /// <summary>The rig's SimNet, when the rig is on one.</summary>
    public SimNetRigNetwork? SimNet => rig.Definition.Network.Type == "simnet" ? rig.Network as SimNetRigNetwork : null;

    public async Task<IUpdateCloud> EnsureCloudAsync(CancellationToken ct = default)
    {
        if (_cloud is not null) return _cloud;
        var cloudOptions = rig.Definition.Cloud?.Options;
        var settings = new CloudSettings(Path.Combine(output.Directory, "cloud"), Throttle, cloudOptions is { } o && o.Has("port") ? o.Int("port") : 8080);
        if (SimNet is { } simnet)
        {
            var host = simnet.AddServiceHost(SimNetRigNetwork.CloudHost, cloudOptions?.String("address"));
            tlsKeys.Add(NamespaceCloud.TlsKeyLogPath(settings));
            _cloud = await NamespaceCloud.StartAsync(host, settings, Path.Combine(output.Directory, "cloud.log"), ct);
        }
        else _cloud = await LoopbackCloud.StartAsync(settings);
        output.WriteLine($"cloud {_cloud.Where}, units reach it at {_cloud.UnitUrl} (offer throttle {Throttle})");
        return _cloud;
    }

    public void AddModules(Board board, string spec) =>
        _extraModules[board.Name] = _extraModules.TryGetValue(board.Name, out var s) ? $"{s},{spec}" : spec;

    public void CrashCmAt(string point) => _crashAt.Add(point);

    /// <summary>Boards provisioned with a certificate of another unit's node CA (a rogue node), until <see cref="ProvisionOwnAsync"/>.</summary>
    public HashSet<string> ForeignCertificate { get; } = new();

    /// <summary>Boards whose UM registers under another node id than the one its certificate names.</summary>
    public Dictionary<string, string> ClaimedNodeId { get; } = new();

    private UnitCa? _foreignCa;

    /// <summary>Writes a board's credentials: its own, from the unit's node CA, or a rogue's from another CA.</summary>
    private void Provision(Board board, Board main, string cmHost)
    {
        var driver = Settings(board);
        driver.Configure("update.grpc_tls", GrpcTls ? "on" : "off");
        if (!GrpcTls) return;
        var ca = ForeignCertificate.Contains(board.Name) ? _foreignCa ??= UnitCa.Create("another unit") : NodeCa;
        driver.Configure("update.node_credentials", ca.Provision(Path.GetFullPath(Path.Combine(output.Directory, "credentials", board.Name)), board.Name,
            cm: board == main, board == main ? [cmHost, "localhost"] : null));
        driver.Configure("update.node", ClaimedNodeId.GetValueOrDefault(board.Name, board.Name));
    }

    /// <summary>Gives a rogue board back its own credentials and node id and powers it on again; waits until its UM is registered.</summary>
    public async Task ProvisionOwnAsync(Board board, CancellationToken ct)
    {
        ForeignCertificate.Remove(board.Name);
        ClaimedNodeId.Remove(board.Name);
        await board.Power.OffAsync(ct);
        Provision(board, Main!, _cmHost);
        await board.Power.OnAsync(ct);
        await BootWait.UntilShellAsync(board, board.BootTimeout, ct);
        await WaitForUmsAsync(TimeSpan.FromSeconds(30), ct);
    }

    private string _cmHost = "127.0.0.1";

    /// <summary>The node a step gave a <c>rootfs-ab</c> module for component <paramref name="id"/>, if any.</summary>
    private Board? RootfsNode(string id) =>
        Nodes.FirstOrDefault(n => _extraModules.TryGetValue(n.Name, out var spec) &&
                                  spec.Split(',', StringSplitOptions.TrimEntries).Any(m => m.Split(':') is [var module, "rootfs-ab", ..] && module == id));

    /// <summary>Configures and boots the unit, and waits until the CM sees every node's UM (but those in <paramref name="notWaitedFor"/>).</summary>
    public async Task StartAsync(Board main, IReadOnlyList<Board> secondaries, CancellationToken ct, IReadOnlyCollection<Board>? notWaitedFor = null)
    {
        var cloud = await EnsureCloudAsync(ct);
        Main = main;
        Nodes = [main, .. secondaries];
        var onSimNet = main.TryGet<INetworkProtocol>(out var network) && network!.Namespace is not null;
        _cmPort = onSimNet ? SimNetCmPort : FreePort();
        var cmHost = onSimNet ? network!.Addresses[0].ToString() : "127.0.0.1";
        var cmUrl = $"{(GrpcTls ? "https" : "http")}://{cmHost}:{_cmPort}/";
        _cmHost = cmHost;
        foreach (var board in Nodes)
        {
            var driver = Settings(board);
            var modules = $"{board.Name}-app:file,{board.Name}-fw:test";
            if (_extraModules.TryGetValue(board.Name, out var extra)) modules += "," + extra;
            driver.Configure("update.modules", modules);
            driver.Configure("update.cm_url", cmUrl);
            driver.Configure("update.priority", board == main ? "10" : "0");
            // Provisioning: the node's certificate (the CM's also names the address its UMs dial), key and the node CA.
            Provision(board, main, cmHost);
        }
        var m = Settings(main);
        m.Configure("update.cm", "on");
        // The unit is provisioned with the repository's test-only keys, explicitly: the device has no default.
        m.Configure("update.trust", Fixture("test-only-trust.json"));
        m.Configure("update.unit_key", Fixture("test-only-unit.pem"));
        m.Configure("update.cm_port", _cmPort.ToString());
        m.Configure("update.cm_listen", onSimNet ? "0.0.0.0" : "127.0.0.1");
        m.Configure("update.cloud", (CmCloudUrl ?? cloud.UnitUrl).AbsoluteUri);
        m.Configure("update.cloud_credentials", await EnrollAsync(main, UnitId));
        m.Configure("update.unit", UnitId);
        m.Configure("update.platform", Platform);
        m.Configure("update.expected", string.Join(',', Nodes.Select(b => b.Name)));
        m.Configure("update.cm_crash_at", _crashAt.LastOrDefault() ?? "");
        foreach (var board in Nodes)
        {
            if (board.Power.State == PowerState.Off) await board.Power.OnAsync(ct);
        }
        foreach (var board in Nodes) await BootWait.UntilShellAsync(board, board.BootTimeout, ct);
        await WaitForUmsAsync(TimeSpan.FromSeconds(30), ct, notWaitedFor);
    }

    /// <summary>
    /// Issues <paramref name="unitId"/> a certificate from the cloud's CA (as <c>hilrig cloud enroll</c> does) and
    /// provisions the board with it; returns the directory the device reads <c>unit.crt</c>, <c>unit.key</c> and <c>ca.crt</c> from.
    /// </summary>
    public async Task<string> EnrollAsync(Board board, string unitId)
    {
        var staging = Path.Combine(output.Directory, "enrolled", unitId);
        var record = await CloudEnrollment.EnrollAsync(Cloud.Data, unitId, staging, DateTimeOffset.UtcNow);
        var provisioning = board.Get<IProvisioningProtocol>();
        string? directory = null;
        foreach (var (file, mode) in new[] { (CloudEnrollment.KeyFile, PemFiles.Secret), (CloudEnrollment.CertificateFile, PemFiles.Public), (CloudEnrollment.CaFile, PemFiles.Public) })
            directory = Path.GetDirectoryName(provisioning.Provision($"cloud/{file}", await File.ReadAllBytesAsync(Path.Combine(staging, file)), mode));
        Directory.Delete(staging, recursive: true);
        output.WriteLine($"enrolled unit '{unitId}' (certificate {record.Serial}) and provisioned board {board.Name} with it");
        return directory!;
    }

    public Task WaitForUmsAsync(TimeSpan timeout, CancellationToken ct, IReadOnlyCollection<Board>? except = null) =>
        WaitForCmStatusAsync(status => Nodes.Where(n => except?.Contains(n) != true).All(n => ConnectedUms(status).ContainsKey(n.Name)), timeout,
            status => $"the CM on {Main!.Name} did not see every UM ({string.Join(", ", Nodes.Select(n => n.Name))}) within {timeout}:\n{status.Output}", ct);

    /// <summary>
    /// Runs <c>cm status</c> on the main board until <paramref name="done"/> holds for its output, and returns that
    /// output; past <paramref name="timeout"/> fails the step with <paramref name="failure"/> of the last output.
    /// </summary>
    public async Task<ShellResult> WaitForCmStatusAsync(Func<ShellResult, bool> done, TimeSpan timeout, Func<ShellResult, string> failure, CancellationToken ct)
    {
        var main = Main ?? throw new InvalidOperationException("the unit is not started; use \"Given an update unit of main board …\"");
        var (held, status) = await ShellPoll.UntilAsync(main.Shell, "cm status", CmStatusTimeout, done, timeout, CmStatusInterval, ct);
        return held ? status : throw new AssertionFailedException(failure(status));
    }

    /// <summary>The <c>ums: main=IDLE node-2=PREPARED</c> line of <c>cm status</c> as node → state.</summary>
    public static IReadOnlyDictionary<string, string> ConnectedUms(ShellResult status) =>
        (status.Lines.FirstOrDefault(l => l.StartsWith("ums:", StringComparison.Ordinal)) ?? "ums:")[4..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1]);

    /// <summary>The value of a <c>key: value</c> line of a shell command's output.</summary>
    public static string? Field(ShellResult result, string key) =>
        result.Lines.FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal))?[(key.Length + 1)..].Trim();

    private static string Fixture(string file) => Path.Combine(CloudSettings.Fixtures, file);

    public void ClearCrash() => Settings(Main!).Configure("update.cm_crash_at", "");

    /// <summary>A bundle with the given version of every node's app and fw components (and extra component ids), uploaded to the cloud.</summary>
    public async Task<long> UploadAsync(string version, IReadOnlyList<string> extraComponents, string? annotationsJson = null)
    {
        var cloud = await EnsureCloudAsync();
        var fixtures = CloudSettings.Fixtures;
        var dir = Path.Combine(output.Directory, "bundles", $"{version}-{Guid.NewGuid():N}"[..(version.Length + 9)]);
        Directory.CreateDirectory(dir);
        var random = scenario.RandomFor($"bundle/{version}");
        var builder = new BundleBuilder();
        var ids = Nodes.SelectMany(n => new[] { $"{n.Name}-app", $"{n.Name}-fw" }).Concat(extraComponents);
        UploadedHashes.Clear();
        foreach (var id in ids)
        {
            var content = new byte[ComponentSizes.GetValueOrDefault(id, ComponentSize)];
            random.NextBytes(content);
            System.Text.Encoding.ASCII.GetBytes($"{id} {version}\n").CopyTo(content, 0);
            var annotations = annotationsJson;
            if (RootfsNode(id) is { } node)
            {
                // A rootfs-ab component is a bootable release, carrying its root signature for the node's boot to verify.
                content = releases.Get(version, node).Image;
                annotations = WithRootSignature(annotationsJson, releases.Signature(version, node).ToText());
            }
            var path = Path.Combine(dir, id);
            await File.WriteAllBytesAsync(path, content);
            UploadedHashes[id] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content));
            builder.Add(new ComponentSource(id, version, path, AnnotationsJson: annotations));
        }
        builder.AddRecipient(KeyFiles.LoadAgreementPublicKey(Path.Combine(fixtures, "test-only-unit.pub.pem")));
        var bundle = Path.Combine(dir, "bundle.tar");
        using (var oem = SigningKey.Load(Path.Combine(fixtures, "test-only-oem-signing.pem")))
            await builder.WriteAsync(bundle, oem);
        var assigned = await cloud.Api.UploadAsync(Platform, bundle, CancellationToken.None);
        LastAssigned = assigned;
        output.WriteLine($"uploaded bundle {version} as image version {assigned}");
        return assigned;
    }

    private static string WithRootSignature(string? annotationsJson, string signature)
    {
        var node = annotationsJson is null ? new System.Text.Json.Nodes.JsonObject() : System.Text.Json.Nodes.JsonNode.Parse(annotationsJson)!.AsObject();
        node[HilRig.Update.Um.Modules.RootfsAbModule.RootSignatureAnnotation] = signature;
        return node.ToJsonString();
    }

    /// <summary>The board's device settings, which the unit's steps configure before each node boots.</summary>
    public static ISettingsProtocol Settings(Board board) => board.Get<ISettingsProtocol>();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _nodeCa?.Dispose();
        if (_cloud is null) return;
        try
        {
            output.AttachText("upgrade dashboard", await _cloud.Api.DashboardJsonAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or HilRig.Cloud.CloudRequestException)
        {
            output.WriteLine($"the cloud's dashboard could not be read at the end: {e.Message}");
        }
        await _cloud.DisposeAsync();
        var log = Path.Combine(output.Directory, "cloud.log");
        if (File.Exists(log) && new FileInfo(log).Length > 0) output.AttachFile("cloud log", MediaTypes.Text, log);
    }
}
