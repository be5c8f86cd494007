using System.Text.Json;
using HilRig.Update.Bench;
using HilRig.Update.Tests.Cm;
using HilRig.Update.Tests.Interop;
using NUnit.Framework;

namespace HilRig.Update.Tests.Bench;

/// <summary>The benchmark's parts at a small scale: they complete and measure something. Targets are not asserted here.</summary>
public class UpdateBenchmarkTests
{
    [Test]
    public async Task MeasureCm_SmallScale_EveryCommandAnswered()
    {
        var (rtt, fanout) = await UpdateBenchmark.MeasureCmAsync(warmup: 10, iterations: 50, fanout: 10, rounds: 3, default);
        Assert.That(rtt, Is.GreaterThan(0));
        Assert.That(fanout, Is.GreaterThan(0));
    }

    [Test, Category("interop")]
    public async Task MeasureGrpcJs_SmallScale_ReportsBothFigures()
    {
        await NodePeer.EnsureInstalledAsync();
        var (rtt, fanout) = await UpdateBenchmark.MeasureGrpcJsAsync(NodePeer.Directory, warmup: 10, 50, 10, 3, default);
        Assert.That(rtt, Is.GreaterThan(0));
        Assert.That(fanout, Is.GreaterThan(0));
    }

    [Test]
    public async Task CheckIns_SmallScale_EveryUnitRecordedOverItsOwnCertificate_AndKeptConnectionsAreReused()
    {
        await using var rig = await UnitRig.StartAsync("bench-checkins", startUnit: false);
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        var issued = await HilRig.Cloud.CloudEnrollment.IssueAsync(rig.Cloud.Data, Enumerable.Range(0, 60).Select(i => $"sim-{i:D5}").ToList(), DateTimeOffset.UtcNow);
        var caPem = File.ReadAllText(rig.Cloud.Data.CaCertificate);
        var credentials = issued.Select(c => Update.Cloud.UnitCredentials.FromPem(c.CertificatePem, c.KeyPem, caPem)).ToList();
        var handshakes = 0;
        var fleet = credentials.Select(c => (c.UnitId, (Func<HttpMessageHandler>)(() =>
        {
            var handler = (SocketsHttpHandler)c.ConfigureTls(new SocketsHttpHandler());
            handler.ConnectCallback = async (context, ct) =>
            {
                Interlocked.Increment(ref handshakes);
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            };
            return handler;
        }))).ToList();

        var progress = new List<string>();
        var rates = await UpdateBenchmark.CheckInsAsync(rig.Cloud.Address, UnitRig.Platform, fleet, 8, default, keptRounds: 3, say: progress.Add);

        Assert.That(rates.FirstPerS, Is.GreaterThan(0));
        Assert.That(rates.KeptPerS, Is.GreaterThan(0));
        Assert.That(rates.KeptClientCpuUs, Is.GreaterThan(0), "the units' own CPU per check-in is measured");
        Assert.That(handshakes, Is.EqualTo(60), "one connection per unit, kept for all three rounds after its first check-in");
        Assert.That(progress, Has.Some.Contains("now 3 round(s) on the kept connections").And.Some.Contains("median of 3"));
        var dashboard = await rig.Cloud.Service.DashboardAsync();
        Assert.That(dashboard.Units, Is.EqualTo(60));
        Assert.That(dashboard.InProgressNow, Is.EqualTo(40), "units on version 1 are current; the rest were offered 1");
        foreach (var c in credentials) c.Dispose();
    }

    [Test]
    public void Result_SerialisesTheKeysTheIssueNames()
    {
        var json = JsonSerializer.Serialize(new UpdateBenchResult(80, 76, 9, 10, 5000, 10000, 100, 20000));
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.EnumerateObject().Select(p => p.Name),
            Is.SupersetOf(new[] { "cmd_rtt_us", "grpcjs_rtt_us", "fanout100_ms", "checkins_per_s", "tls_echo_checkins_per_s",
                "cloud_cpu_us_per_checkin", "client_cpu_us_per_checkin", "load_average", "kept_rounds" }));
    }
}
