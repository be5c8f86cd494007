using System.Diagnostics;
using HilRig.Device.Shell;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Hosting;

namespace HilRig.Device.Update;

/// <summary>
/// The Communication Manager on a unit's main node (seed 001): serves RegisterUM to the unit's UMs, finishes an
/// update a restart interrupted, and checks in with the cloud (periodically, or on <c>cm checkin</c>).
/// </summary>
public sealed class CommunicationManagerService : IDeviceService
{
    private CmRuntime? _runtime;

    public string Name => "communication-manager";

    public bool IsEnabled(BoardConfig config) => UpdateSettings.CmEnabled(config);

    public async Task StartAsync(DeviceHost device, CancellationToken cancellation)
    {
        var c = device.Config;
        // What it trusts and decrypts with first, then who it is: to its UMs (the node credentials, in its configuration),
        // then to the cloud.
        var trust = TrustStore.Load(UpdateSettings.RequiredPath(c, "update.trust", "the trust store of the keys that sign its updates"));
        var unitKey = KeyFiles.LoadAgreementKey(UpdateSettings.RequiredPath(c, "update.unit_key", "the unit's key agreement key to unwrap bundle keys"));
        var config = UpdateSettings.Cm(c);
        var credentials = UnitCredentials.Load(UpdateSettings.RequiredPath(c, "update.cloud_credentials",
            "the unit's certificate, key and the cloud's CA (the directory `hilrig cloud enroll --out` writes)"));
        _runtime = await CmRuntime.StartAsync(config, trust, unitKey, credentials, UpdateSettings.CmEndpoint(c), null,
            UpdateSettings.CheckInPeriod(c), TimeProvider.System, ct: cancellation);
        var resumed = config.CrashAt is null ? "" : $", fault point {config.CrashAt}";
        device.Log($"communication-manager: unit {config.UnitId}, RegisterUM on {_runtime.GrpcAddress}{(config.Credentials is null ? " WITHOUT TLS: any peer may register" : " (mutual TLS)")}, cloud {config.CloudUrl}, image {_runtime.Manager.Store.InstalledImageVersion}{resumed}");
        if (_runtime.Manager.Store.InProgress is { } p) device.Log($"communication-manager: resuming image {p.Plan.ImageVersion} in phase {p.Phase}");
        if (config.CrashAt is not null)
            _ = _runtime.Resumption.ContinueWith(t => { if (t.IsFaulted && t.Exception?.InnerException is CmCrashedException) Die(); }, TaskScheduler.Default);
    }

    public IEnumerable<IShellCommand> Commands =>
    [
        new DelegateCommand("cm checkin", "check in with the cloud now and run an offered update to its end", async (ctx, _) =>
        {
            CheckInResult result;
            try { result = await _runtime!.CheckInNowAsync(CancellationToken.None); }
            catch (CmCrashedException) { Die(); return 1; }
            catch (HttpRequestException e) { return ctx.Fail("cm checkin", $"cloud unreachable: {e.Message}"); }
            Print(ctx, result);
            return 0;
        }),
        new DelegateCommand("cm status", "installed image, update in progress, connected UMs, last result", (ctx, _) =>
        {
            var m = _runtime!.Manager;
            ctx.WriteLine($"installed: {m.Store.InstalledImageVersion}");
            ctx.WriteLine($"phase: {(m.Store.InProgress is { } p ? $"{p.Phase.ToString().ToLowerInvariant()} image {p.Plan.ImageVersion}" : "idle")}");
            ctx.WriteLine($"ums: {string.Join(" ", m.Registry.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value.UpdateState.ToString().ToUpperInvariant()}"))}");
            ctx.WriteLine($"tls: {(m.Config.Credentials is { } tls ? $"mutual, node CA '{tls.Ca.Subject}'" : "off (any peer may register)")}");
            foreach (var refusal in m.Registry.Refusals.TakeLast(5)) ctx.WriteLine($"refused: {refusal}");
            if (_runtime.LastResult is { } last) Print(ctx, last);
            if (_runtime.LastError is { } error) ctx.WriteLine($"error: {error}");
            return Task.FromResult(0);
        }),
    ];

    private static void Print(ShellContext ctx, CheckInResult result)
    {
        ctx.WriteLine($"offered: {(result.Offered ? "yes" : "no")}");
        ctx.WriteLine($"reason: {result.Reason}");
        if (result.Outcome is { } o)
            ctx.WriteLine(o.Success ? $"outcome: installed {o.ImageVersion}" : $"outcome: failed {o.ImageVersion} {o.Reason}: {o.Detail}");
    }

    /// <summary>A CM fault point: the device dies at once, as when its power is cut (nothing is flushed or shut down).</summary>
    private static void Die() => Process.GetCurrentProcess().Kill();

    public async Task StopAsync()
    {
        if (_runtime is not null) await _runtime.DisposeAsync();
        _runtime = null;
    }
}
