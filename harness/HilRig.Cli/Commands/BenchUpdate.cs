using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Cloud;
using HilRig.Update.Bench;
using HilRig.Update.Bundles;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench update [--json]</c>: CM↔UM command round trip and fan-out to 100 UMs over loopback against the
/// same exchange between grpc-js peers in the same run, and cloud check-ins per second from 10,000 simulated units.
/// </summary>
public static class BenchUpdate
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var warmup = new Option<int>("--warmup") { Description = "untimed round trips first, on both sides (steady state, not JIT warm-up)", DefaultValueFactory = _ => 50_000 };
        var iterations = new Option<int>("--iterations") { Description = "command round trips to time", DefaultValueFactory = _ => 2000 };
        var fanout = new Option<int>("--fanout") { Description = "UMs in the fan-out", DefaultValueFactory = _ => 100 };
        var rounds = new Option<int>("--rounds") { Description = "fan-out rounds to time", DefaultValueFactory = _ => 20 };
        var units = new Option<int>("--units") { Description = "simulated units checking in", DefaultValueFactory = _ => 10_000 };
        var command = new Command("update", "CM↔UM gRPC round trip and fan-out vs grpc-js; cloud check-ins per second") { json, warmup, iterations, fanout, rounds, units };
        command.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            var root = Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? throw new Loading.UsageException("run from the HilRig repository");
            var interop = Path.Combine(root, "tools", "grpc-interop");
            if (!Directory.Exists(Path.Combine(interop, "node_modules")))
                throw new Loading.UsageException($"{interop}/node_modules is missing: run `npm ci` there (./hilrig installs it as root)");
            var (w, n, f, r, u) = (parse.GetValue(warmup), parse.GetValue(iterations), parse.GetValue(fanout), parse.GetValue(rounds), parse.GetValue(units));
            var quiet = parse.GetValue(json);
            void Say(string line) { if (!quiet) Terminal.Line(line); }

            Say($"grpc-js baseline: {w} untimed then {n} timed round trips, fan-out to {f} UMs × {r}…");
            var (jsRtt, jsFanout) = await UpdateBenchmark.MeasureGrpcJsAsync(interop, w, n, f, r, ct);
            Say($"our CM ↔ UMs: the same exchange…");
            var (rtt, fan) = await UpdateBenchmark.MeasureCmAsync(w, n, f, r, ct);
            Say($"cloud: {u} simulated units checking in…");
            var rate = await CheckInsAsync(root, u, ct);

            var result = new UpdateBenchResult(rtt, jsRtt, fan, jsFanout, Math.Round(rate), u, f, w);
            if (quiet)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(result, BenchUpdateJson.Utf8.UpdateBenchResult));
                return ExitCodes.Passed;
            }
            Terminal.Line($"command round trip   ours {rtt,10:0.0} µs   grpc-js {jsRtt,10:0.0} µs   ratio {result.RttRatio:0.00}");
            Terminal.Line($"fan-out to {f,3} UMs   ours {fan,10:0.00} ms   grpc-js {jsFanout,10:0.00} ms   ratio {result.FanoutRatio:0.00}");
            Terminal.Line($"cloud check-ins      {rate,10:0} /s from {u} units");
            return ExitCodes.Passed;
        }));
        return command;
    }

    /// <summary>A fresh cloud with one image, then every simulated unit checks in once (a third of them get an offer signed).</summary>
    private static async Task<double> CheckInsAsync(string root, int units, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"hilrig-bench-cloud-{Guid.NewGuid():N}");
        try
        {
            var fixtures = Path.Combine(root, "fixtures", "update");
            await using var cloud = await CloudHost.StartAsync(new CloudOptions
            {
                DataDirectory = dir,
                SigningKeyPath = Path.Combine(fixtures, "test-only-cloud-signing.pem"),
                UploadTrustPath = Path.Combine(fixtures, "test-only-oem-trust.json"),
                Listen = "http://127.0.0.1:0",
            }, ct: ct);
            var payload = Path.Combine(dir, "app.bin");
            await File.WriteAllBytesAsync(payload, new byte[64 * 1024], ct);
            var bundle = Path.Combine(dir, "bundle.tar");
            using (var oem = SigningKey.Load(Path.Combine(fixtures, "test-only-oem-signing.pem")))
                await new BundleBuilder().Add(new ComponentSource("app", "2.0", payload))
                    .AddRecipient(KeyFiles.LoadAgreementPublicKey(Path.Combine(fixtures, "test-only-unit.pub.pem")))
                    .WriteAsync(bundle, oem, ct);
            await cloud.Service.UploadAsync("bench", bundle, ct);
            return await UpdateBenchmark.CheckInsPerSecondAsync(cloud.Address, "bench", units, concurrency: 32, ct);
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}

[JsonSerializable(typeof(UpdateBenchResult))]
internal sealed partial class BenchUpdateJson : JsonSerializerContext
{
    public static readonly BenchUpdateJson Utf8 = new(JsonText.Options());
}
