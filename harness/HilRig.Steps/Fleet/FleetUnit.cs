using System.Net;
using System.Security.Cryptography;
using HilRig.Steps.Cloud;
using HilRig.Update.Bundles;
using HilRig.Update.Cm;
using HilRig.Update.Hosting;
using HilRig.Update.Um;

namespace HilRig.Steps.Fleet;

/// <summary>One simulated unit: a CM and the UM of its single node, with their own state directories.</summary>
public sealed class FleetUnit : IAsyncDisposable
{
    private readonly CmRuntime _cm;
    private readonly UmRuntime _um;
    private readonly ECDiffieHellman _unitKey;

    private FleetUnit(string id, CmRuntime cm, UmRuntime um, ECDiffieHellman unitKey)
    {
        Id = id;
        _cm = cm;
        _um = um;
        _unitKey = unitKey;
    }

    public string Id { get; }
    public long InstalledImageVersion => _cm.Manager.Store.InstalledImageVersion;

    /// <summary>The node's installed component versions, as its UM reports them.</summary>
    public IEnumerable<string> ComponentVersions => _um.Handler.Status().Components.Select(c => $"{c.ComponentId} {c.Version} {c.State}");

    internal static async Task<FleetUnit> StartAsync(string id, string directory, Uri cloud, TrustStore trust, CancellationToken ct)
    {
        // A key object per unit: the CMs unwrap bundle keys concurrently and an ECDiffieHellman is not documented as
        // safe to share between threads.
        var unitKey = KeyFiles.LoadAgreementKey(Path.Combine(CloudSettings.Fixtures, "test-only-unit.pem"));
        CmRuntime? cm = null;
        try
        {
            var config = new CmConfig(id, Fleet.Platform, cloud, Path.Combine(directory, "cm"), [Fleet.Node]);
            cm = await CmRuntime.StartAsync(config, trust, unitKey, new IPEndPoint(IPAddress.Loopback, 0), null, TimeSpan.Zero, TimeProvider.System, ct: ct);
            var umDirectory = Path.Combine(directory, "um");
            var module = new ModuleConfig(Fleet.Component, "file",
                Params: new Dictionary<string, string> { ["version"] = "1.0", ["path"] = Path.Combine(directory, "files", Fleet.Component) });
            var reboot = new ProcessSystemReboot($"{id}-boot-1", _ => throw new InvalidOperationException($"{id}: a file module never reboots the node"));
            var um = await UmRuntime.StartAsync(new UmConfig(Fleet.Node, 0, umDirectory, [module]), cm.GrpcAddress, reboot, TimeProvider.System, ct: ct);
            try
            {
                await cm.Manager.Registry.WaitAsync(s => s.ContainsKey(Fleet.Node), TimeSpan.FromSeconds(60), $"{id}'s UM", ct);
            }
            catch
            {
                await um.DisposeAsync();
                throw;
            }
            return new FleetUnit(id, cm, um, unitKey);
        }
        catch
        {
            if (cm is not null) await cm.DisposeAsync();
            unitKey.Dispose();
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
    }
}
