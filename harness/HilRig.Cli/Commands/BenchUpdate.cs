using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Update.Bench;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Hosting;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench update [--json]</c>: CM↔UM command round trip and fan-out to 100 UMs over loopback against the
/// same exchange between grpc-js peers in the same run, and cloud check-ins per second from 10,000 simulated units over
/// mutual TLS against the same clients on a TLS server that does nothing else.
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
        var units = new Option<int>("--units") { Description = "simulated units checking in, each with its own certificate and connection", DefaultValueFactory = _ => 10_000 };
        var unitWarmup = new Option<int>("--unit-warmup") { Description = "other units checking in untimed first, against each server", DefaultValueFactory = _ => 2000 };
        var concurrency = new Option<int>("--concurrency") { Description = "check-ins in flight at once", DefaultValueFactory = _ => 32 };
        var keptRounds = new Option<int>("--kept-rounds") { Description = "rounds of check-ins on the kept connections; the median is reported", DefaultValueFactory = _ => 5 };
        var skipGrpc = new Option<bool>("--checkins-only") { Description = "measure only the cloud's check-ins (no gRPC round trips)" };
        var command = new Command("update", "CM↔UM gRPC round trip and fan-out vs grpc-js; cloud check-ins per second over mutual TLS")
        {
            json, warmup, iterations, fanout, rounds, units, unitWarmup, concurrency, keptRounds, skipGrpc,
        };
        command.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            var root = DeviceLocator.RepositoryRoot() ?? throw new Loading.UsageException("run from the HilRig repository");
            var (w, n, f, r, u) = (parse.GetValue(warmup), parse.GetValue(iterations), parse.GetValue(fanout), parse.GetValue(rounds), parse.GetValue(units));
            var quiet = parse.GetValue(json);
            void Say(string line) { if (!quiet) Terminal.Line(line); }

            double jsRtt = double.NaN, jsFanout = double.NaN, rtt = double.NaN, fan = double.NaN;
            if (!parse.GetValue(skipGrpc))
            {
                var interop = Path.Combine(root, "tools", "grpc-interop");
                if (!Directory.Exists(Path.Combine(interop, "node_modules")))
                    throw new Loading.UsageException($"{interop}/node_modules is missing: run `npm ci` there (./hilrig installs it as root)");
                Say($"grpc-js baseline: {w} untimed then {n} timed round trips, fan-out to {f} UMs × {r}…");
                (jsRtt, jsFanout) = await UpdateBenchmark.MeasureGrpcJsAsync(interop, w, n, f, r, ct);
                Say($"our CM ↔ UMs: the same exchange…");
                (rtt, fan) = await UpdateBenchmark.MeasureCmAsync(w, n, f, r, ct);
            }
            var concurrencyValue = parse.GetValue(concurrency);
            var keptRoundsValue = parse.GetValue(keptRounds);
            if (u < 1 || concurrencyValue < 1 || keptRoundsValue < 1) throw new Loading.UsageException("--units, --concurrency and --kept-rounds: at least 1");
            var checkIns = await CheckInsAsync(root, u, Math.Max(0, parse.GetValue(unitWarmup)), concurrencyValue, keptRoundsValue, Say, ct);

            var result = new UpdateBenchResult(rtt, jsRtt, fan, jsFanout, Math.Round(checkIns.Cloud.KeptPerS), u, f, w)
            {
                FirstCheckinsPerS = Math.Round(checkIns.Cloud.FirstPerS),
                EchoCheckinsPerS = Math.Round(checkIns.Echo.KeptPerS),
                EchoFirstCheckinsPerS = Math.Round(checkIns.Echo.FirstPerS),
                CloudCpuUsPerCheckin = Math.Round(checkIns.Cloud.KeptServerCpuUs, 1),
                CloudCpuUsPerFirstCheckin = Math.Round(checkIns.Cloud.FirstServerCpuUs, 1),
                EchoCpuUsPerCheckin = Math.Round(checkIns.Echo.KeptServerCpuUs, 1),
                EchoCpuUsPerFirstCheckin = Math.Round(checkIns.Echo.FirstServerCpuUs, 1),
                Concurrency = concurrencyValue,
                KeptRounds = keptRoundsValue,
                ClientCpuUsPerCheckin = Math.Round(checkIns.Cloud.KeptClientCpuUs, 1),
                LoadAverage = checkIns.LoadAverage,
            };
            if (quiet)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(result, BenchUpdateJson.Utf8.UpdateBenchResult));
                return ExitCodes.Passed;
            }
            if (!double.IsNaN(rtt))
            {
                Terminal.Line($"command round trip   ours {rtt,10:0.0} µs   grpc-js {jsRtt,10:0.0} µs   ratio {result.RttRatio:0.00}");
                Terminal.Line($"fan-out to {f,3} UMs   ours {fan,10:0.00} ms   grpc-js {jsFanout,10:0.00} ms   ratio {result.FanoutRatio:0.00}");
            }
            Terminal.Line($"check-ins on kept mTLS connections   cloud {result.CheckinsPerS,7:0} /s ({result.CloudCpuUsPerCheckin,6:0.0} µs CPU each)   TLS echo {result.EchoCheckinsPerS,7:0} /s ({result.EchoCpuUsPerCheckin,6:0.0} µs)   {u} units");
            Terminal.Line($"  median of {keptRoundsValue} rounds; the units' own CPU {result.ClientCpuUsPerCheckin:0.0} µs per check-in; load average {result.LoadAverage:0.0}");
            Terminal.Line($"check-ins on new mTLS connections    cloud {result.FirstCheckinsPerS,7:0} /s ({result.CloudCpuUsPerFirstCheckin,6:0.0} µs CPU each)   TLS echo {result.EchoFirstCheckinsPerS,7:0} /s ({result.EchoCpuUsPerFirstCheckin,6:0.0} µs)");
            return ExitCodes.Passed;
        }));
        return command;
    }

    /// <summary>The baseline server of the check-in figures, run by <see cref="CheckInsAsync"/> as a child process (hidden).</summary>
    public static Command EchoServer()
    {
        var data = new Option<string>("--data") { Required = true };
        var command = new Command("tls-echo", "the TLS echo server bench update measures against (internal)") { data };
        command.Hidden = true;
        command.SetAction(async (parse, ct) =>
        {
            var dir = new CloudDataDirectory(parse.GetValue(data)!);
            using var server = X509Certificate2.CreateFromPemFile(dir.ServerCertificate, dir.ServerKey);
            using var ca = CloudCertificateAuthority.LoadCertificate(dir.CaCertificate, "the CA certificate");
            await using var host = await TlsEchoServer.StartAsync(server, ca, ct);
            Console.Out.WriteLine($"tls-echo listening on {host.Address}");
            var lost = new TaskCompletionSource();
            Lifeline.Watch(() => lost.TrySetResult());
            await lost.Task.WaitAsync(ct).ContinueWith(_ => { }, TaskScheduler.Default);
            return ExitCodes.Passed;
        });
        return command;
    }

    private sealed record CheckInFigures(UpdateBenchmark.CheckInRates Cloud, UpdateBenchmark.CheckInRates Echo, double LoadAverage);

    /// <summary>
    /// A fresh cloud (its own process, as in a deployment) with one image; every simulated unit — enrolled like a real
    /// one, its certificate in memory — checks in on a new connection, then again on the connection it kept. The same
    /// units then do the same against the TLS echo server (also its own process). Untimed warm-up units go first each time.
    /// Cloud and units are separate processes because 10,000 connections need 10,000 descriptors at each end.
    /// </summary>
    private static async Task<CheckInFigures> CheckInsAsync(string root, int units, int warmup, int concurrency, int keptRounds, Action<string> say, CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"hilrig-bench-cloud-{Guid.NewGuid():N}");
        var fixtures = Path.Combine(root, "fixtures", "update");
        var data = new CloudDataDirectory(Path.Combine(dir, "cloud"));
        try
        {
            say($"cloud: enrolling {units} + {warmup} warm-up units…");
            var now = DateTimeOffset.UtcNow;
            var ids = Enumerable.Range(0, units).Select(i => $"sim-{i:D5}").Concat(Enumerable.Range(0, warmup).Select(i => $"warm-{i:D5}")).ToList();
            var issued = await CloudEnrollment.IssueAsync(data, ids, now);
            string caPem;
            using (var ca = data.EnsureCa(now)) caPem = ca.CertificatePem;
            var credentials = issued.AsParallel().AsOrdered().Select(c => UnitCredentials.FromPem(c.CertificatePem, c.KeyPem, caPem)).ToList();
            try
            {
                var fleet = credentials.Select(c => (c.UnitId, (Func<HttpMessageHandler>)c.CreateHandler)).ToList();
                var (measured, warm) = (fleet[..units], fleet[units..]);

                UpdateBenchmark.CheckInRates cloud, echo;
                double load;
                await using (var server = await ChildServer.StartAsync("cloud", DeviceLocator.DotnetHost(),
                    [DeviceLocator.FindProgram("HilRig.Cloud", "HILRIG_CLOUD"), "--data", data.Root,
                     "--key", Path.Combine(fixtures, "test-only-cloud-signing.pem"), "--upload-trust", Path.Combine(fixtures, "test-only-oem-trust.json"),
                     "--listen", "https://127.0.0.1:0", "--throttle", "00:00:00", "--lifeline"], "hilrig-cloud listening on ", ct))
                {
                    await UploadAsync(server.Address, data, fixtures, dir, ct);
                    say($"cloud: {warm.Count} warm-up units, then {units} units check in, {concurrency} at a time…");
                    if (warm.Count > 0) await UpdateBenchmark.CheckInsAsync(server.Address, "bench", warm, concurrency, ct);
                    cloud = await UpdateBenchmark.CheckInsAsync(server.Address, "bench", measured, concurrency, ct, server.Cpu, keptRounds, say);
                    load = LoadAverage();
                }
                await using (var server = await ChildServer.StartAsync("tls-echo", DeviceLocator.DotnetHost(),
                    [typeof(BenchUpdate).Assembly.Location, "bench", "tls-echo", "--data", data.Root], "tls-echo listening on ", ct))
                {
                    say("TLS echo: the same units…");
                    if (warm.Count > 0) await UpdateBenchmark.CheckInsAsync(server.Address, "bench", warm, concurrency, ct);
                    echo = await UpdateBenchmark.CheckInsAsync(server.Address, "bench", measured, concurrency, ct, server.Cpu, keptRounds, say);
                }
                return new CheckInFigures(cloud, echo, load);
            }
            finally
            {
                foreach (var c in credentials) c.Dispose();
            }
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The 1-minute load average (Linux /proc/loadavg; NaN elsewhere).</summary>
    private static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture); }
        catch (IOException) { return double.NaN; }
    }

    private static async Task UploadAsync(Uri cloud, CloudDataDirectory data, string fixtures, string dir, CancellationToken ct)
    {
        var payload = Path.Combine(dir, "app.bin");
        await File.WriteAllBytesAsync(payload, new byte[64 * 1024], ct);
        var bundle = Path.Combine(dir, "bundle.tar");
        using (var oem = SigningKey.Load(Path.Combine(fixtures, "test-only-oem-signing.pem")))
            await new BundleBuilder().Add(new ComponentSource("app", "2.0", payload))
                .AddRecipient(KeyFiles.LoadAgreementPublicKey(Path.Combine(fixtures, "test-only-unit.pub.pem")))
                .WriteAsync(bundle, oem, ct);
        using var http = CloudTrust.OperatorClient(new SocketsHttpHandler(), data, CloudTrust.AdminToken(data), TimeSpan.FromMinutes(2));
        await using var file = File.OpenRead(bundle);
        using var response = await http.PostAsync(new Uri(cloud, "api/platforms/bench/images"), new StreamContent(file), ct);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upload to the bench cloud: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }
}

[JsonSerializable(typeof(UpdateBenchResult))]
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
internal sealed partial class BenchUpdateJson : JsonSerializerContext
{
    // Figures a run skipped are NaN; they print as "NaN", and text as UTF-8.
    public static readonly BenchUpdateJson Utf8 = new(new System.Text.Json.JsonSerializerOptions(JsonText.Options()) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals });
}
