using System.Diagnostics;
using HilRig.Cloud;
using HilRig.Steps.Cloud;
using HilRig.Update.Cloud;
using HilRig.Update.Bundles;

namespace HilRig.Steps.Fleet;

/// <summary>
/// Many simulated units behind one real cloud: each unit is the Communication Manager and one Update Manager that
/// HilRig.Device runs on a board (<see cref="CmRuntime"/>, <see cref="UmRuntime"/>: the RegisterUM stream on its own
/// Kestrel listener, the UM's gRPC client, SQLite state, a file module), hosted side by side in this process and talking
/// over loopback sockets. A process per unit would measure the .NET runtime's start-up and memory, not the protocol:
/// a device process takes ~40 MB, so 1,000 of them do not fit the 24 GiB the target names.
/// </summary>
public sealed class Fleet : IAsyncDisposable
{
    public const string Platform = "hilrig-fleet";
    public const string Node = "node";
    public const string Component = "node-app";

    private readonly List<FleetUnit> _units = new();
    private readonly IUpdateCloud _cloud;
    private readonly string _directory;
    private readonly bool _ownsCloud;

    private Fleet(IUpdateCloud cloud, string directory, bool ownsCloud)
    {
        _cloud = cloud;
        _directory = directory;
        _ownsCloud = ownsCloud;
    }

    public IUpdateCloud Cloud => _cloud;
    public int Count => _units.Count;
    public IReadOnlyList<FleetUnit> Units => _units;

    /// <summary>Seconds the units took to start (CM listening, UM registered).</summary>
    public double StartSeconds { get; private set; }

    /// <summary>
    /// Starts <paramref name="units"/> units in <paramref name="directory"/>, <paramref name="parallelism"/> at a time, each
    /// registered with the CM before this returns. With no <paramref name="cloud"/>, a cloud without an offer throttle
    /// is started on loopback and stopped with the fleet.
    /// </summary>
    public static async Task<Fleet> StartAsync(int units, string directory, IUpdateCloud? cloud = null, int parallelism = 16, CancellationToken ct = default)
    {
        if (units < 1) throw new ArgumentOutOfRangeException(nameof(units), units, "a fleet has at least one unit");
        Directory.CreateDirectory(directory);
        var owns = cloud is null;
        cloud ??= await LoopbackCloud.StartAsync(new CloudSettings(Path.Combine(directory, "cloud"), TimeSpan.Zero, 0));
        var fleet = new Fleet(cloud, directory, owns);
        try
        {
            var trust = TrustStore.Load(Path.Combine(CloudSettings.Fixtures, "test-only-trust.json"));
            var started = Stopwatch.GetTimestamp();
            // Every unit is enrolled as `hilrig cloud enroll` would, in one transaction; the units hold their
            // certificates in memory and check in over mutual TLS like a board does.
            var ids = Enumerable.Range(0, units).Select(i => $"fleet-{i:D5}").ToList();
            var now = DateTimeOffset.UtcNow;
            var certificates = await CloudEnrollment.IssueAsync(cloud.Data, ids, now);
            string caPem;
            using (var ca = cloud.Data.EnsureCa(now)) caPem = ca.CertificatePem;
            var next = -1;
            var slots = new FleetUnit?[units];
            try
            {
                await Task.WhenAll(Enumerable.Range(0, Math.Min(parallelism, units)).Select(async _ =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < units)
                        slots[i] = await FleetUnit.StartAsync(ids[i], Path.Combine(directory, $"unit-{i:D5}"), cloud.UnitUrl, trust,
                            UnitCredentials.FromPem(certificates[i].CertificatePem, certificates[i].KeyPem, caPem), ct);
                }));
            }
            finally
            {
                // Whatever started is the fleet's to stop, also when another unit failed to start.
                fleet._units.AddRange(slots.OfType<FleetUnit>());
            }
            fleet.StartSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            return fleet;
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A bundle with version <paramref name="version"/> of the node's component, for the fleet's model (the test-only
    /// unit key), uploaded to the cloud; returns the image version the cloud assigned.
    /// </summary>
    public async Task<long> UploadAsync(string version, int componentSize, Random random, CancellationToken ct)
    {
        var dir = Path.Combine(_directory, "bundles", version);
        Directory.CreateDirectory(dir);
        var content = new byte[componentSize];
        random.NextBytes(content);
        var path = Path.Combine(dir, Component);
        await File.WriteAllBytesAsync(path, content, ct);
        var builder = new BundleBuilder();
        builder.Add(new ComponentSource(Component, version, path));
        builder.AddRecipient(KeyFiles.LoadAgreementPublicKey(Path.Combine(CloudSettings.Fixtures, "test-only-unit.pub.pem")));
        var bundle = Path.Combine(dir, "bundle.tar");
        using (var oem = SigningKey.Load(Path.Combine(CloudSettings.Fixtures, "test-only-oem-signing.pem")))
            await builder.WriteAsync(bundle, oem);
        return await _cloud.Api.UploadAsync(Platform, bundle, ct);
    }

    /// <summary>
    /// Every unit checks in at once and runs what it is offered to its end; then every unit checks in once more (nothing
    /// left to offer), which measures the cloud's check-in rate under the fleet's real clients.
    /// </summary>
    public async Task<FleetReport> UpdateAsync(long imageVersion, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var outcomes = await Task.WhenAll(_units.Select(u => u.CheckInAsync(ct)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var updated = outcomes.Count(o => o.Outcome is { Success: true } s && s.ImageVersion == imageVersion);
        var failures = outcomes.Where(o => o.Outcome is not { Success: true }).Select(o => o.Describe()).ToList();

        var round = Stopwatch.GetTimestamp();
        var again = await Task.WhenAll(_units.Select(u => u.CheckInAsync(ct)));
        var roundSeconds = Stopwatch.GetElapsedTime(round).TotalSeconds;
        var answered = again.Count(o => o.Error is null);
        // What the cloud itself recorded, not what the CMs said: a report lost on its way shows here.
        var cloud = await _cloud.Api.DashboardAsync(ct);
        return new FleetReport(_units.Count, updated, _units.Count - updated, Math.Round(seconds, 3),
            Math.Round(answered / roundSeconds, 1), Math.Round(StartSeconds, 3), Environment.WorkingSet / (1024 * 1024), failures,
            cloud.Units, cloud.OnTargetPercent, cloud.FailedLast7Days);
    }

    public async ValueTask DisposeAsync()
    {
        // Units stop side by side: 1,000 Kestrel listeners stopping one after another take minutes.
        await Task.WhenAll(_units.Select(u => u.DisposeAsync().AsTask()));
        _units.Clear();
        if (_ownsCloud) await _cloud.DisposeAsync();
    }
}
