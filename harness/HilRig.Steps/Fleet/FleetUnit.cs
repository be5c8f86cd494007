using System.Net;
using System.Security.Cryptography;
using HilRig.Steps.Cloud;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Hosting;
using HilRig.Update.Security;
using HilRig.Update.Um;

namespace HilRig.Steps.Fleet;

/// <summary>One simulated unit: a CM and the UM of its single node, with their own state directories; it owns the key and credentials it is given.</summary>
public sealed class FleetUnit : IAsyncDisposable
{
    private readonly CmRuntime _cm;
    private readonly UmRuntime _um;
    private readonly ECDiffieHellman _unitKey;
    private readonly UnitCredentials _credentials;
    private readonly NodeCredentials[] _nodeCredentials;

    private FleetUnit(string id, CmRuntime cm, UmRuntime um, ECDiffieHellman unitKey, UnitCredentials credentials, NodeCredentials[] nodeCredentials)
    {
        _credentials = credentials;
        _nodeCredentials = nodeCredentials;
        Id = id;
        _cm = cm;
        _um = um;
        _unitKey = unitKey;
    }

    public string Id { get; }
    public long InstalledImageVersion => _cm.Manager.Store.InstalledImageVersion;

    /// <summary>The node's installed component versions, as its UM reports them.</summary>
    public IEnumerable<string> ComponentVersions => _um.Handler.Status().Components.Select(c => $"{c.ComponentId} {c.Version} {c.State}");

    internal static async Task<FleetUnit> StartAsync(string id, string directory, Uri cloud, TrustStore trust, UnitCredentials credentials, CancellationToken ct)
    {
        // A key object per unit: the CMs unwrap bundle keys concurrently and an ECDiffieHellman is not documented as
        // safe to share between threads.
        var unitKey = KeyFiles.LoadAgreementKey(Path.Combine(CloudSettings.Fixtures, "test-only-unit.pem"));
        CmRuntime? cm = null;
        NodeCredentials? cmNode = null, umNode = null;
        try
        {
            // CM and UM talk mutual TLS as on a board: the unit's own node CA issues the node's certificate (it runs
            // the CM, so the certificate also names the address its UM dials).
            using (var ca = UnitCa.Create(id))
            {
                var nodeDirectory = ca.Provision(Path.Combine(directory, "node-credentials"), Fleet.Node, cm: true, ["127.0.0.1", "localhost"]);
                cmNode = NodeCredentials.LoadDirectory(nodeDirectory);
                umNode = NodeCredentials.LoadDirectory(nodeDirectory);
            }
            var config = new CmConfig(id, Fleet.Platform, cloud, Path.Combine(directory, "cm"), [Fleet.Node]) { Credentials = cmNode };
            cm = await CmRuntime.StartAsync(config, trust, unitKey, credentials, new IPEndPoint(IPAddress.Loopback, 0), null, TimeSpan.Zero, TimeProvider.System, ct: ct);
            var umDirectory = Path.Combine(directory, "um");
            var module = new ModuleConfig(Fleet.Component, "file",
                Params: new Dictionary<string, string> { ["version"] = "1.0", ["path"] = Path.Combine(directory, "files", Fleet.Component) });
            var reboot = new ProcessSystemReboot($"{id}-boot-1", _ => throw new InvalidOperationException($"{id}: a file module never reboots the node"));
            var um = await UmRuntime.StartAsync(new UmConfig(Fleet.Node, 0, umDirectory, [module]) { Credentials = umNode }, cm.GrpcAddress, reboot, TimeProvider.System, ct: ct);
            try
            {
                await cm.Manager.Registry.WaitAsync(s => s.ContainsKey(Fleet.Node), TimeSpan.FromSeconds(60), $"{id}'s UM", ct);
            }
            catch
            {
                await um.DisposeAsync();
                throw;
            }
            return new FleetUnit(id, cm, um, unitKey, credentials, [cmNode, umNode]);
        }
        catch
        {
            if (cm is not null) await cm.DisposeAsync();
            unitKey.Dispose();
            credentials.Dispose();
            cmNode?.Dispose();
            umNode?.Dispose();
            throw;
        }
    }

    /// <summary>One check-in of the unit's CM, run to its end; an error (cloud unreachable, …) is the result, not thrown.</summary>
    public async Task<FleetCheckIn> CheckInAsync(CancellationToken ct)
    {
        try
        {
            var result = await _cm.CheckInNowAsync(ct);
            return new FleetCheckIn(Id, result.Outcome, null);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new FleetCheckIn(Id, null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _um.DisposeAsync();
        await _cm.DisposeAsync();
        _unitKey.Dispose();
        _credentials.Dispose();
        foreach (var c in _nodeCredentials) c.Dispose();
    }
}
