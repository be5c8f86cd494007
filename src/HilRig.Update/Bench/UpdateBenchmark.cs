using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using System.Net;
using Grpc.Core;
using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Protocol;

namespace HilRig.Update.Bench;

/// <summary>
/// The measurements behind <c>hilrig bench update</c>. The CM side is the real one (RegisterUM on Grpc.AspNetCore and the
/// UM registry); the UMs are the generated Grpc.Net.Client stub answering every command at once, so the figures are
/// transport plus CM bookkeeping. The
/// baseline is tools/grpc-interop/bench.js doing the same exchange between grpc-js peers.
/// </summary>
public static class UpdateBenchmark
{
    private static readonly CMMessages Prepare = new()
    {
        PrepareUpdate = new PrepareUpdate
        {
            ImageVersion = 2,
            Components =
            {
                new PrepareComponentInfo
                {
                    ComponentId = "rootfs", ComponentType = "rootfs-ab", Version = "2.0", Annotations = "{}",
                    Url = "file:///var/aos/images/2/rootfs", Sha256 = ByteString.CopyFrom(new byte[32]), Size = 123456,
                },
            },
        },
    };

    /// <summary>
    /// Median command round trip (µs) over <paramref name="iterations"/>, after <paramref name="warmup"/> untimed ones (measured:
    /// tiered JIT and PGO need tens of thousands of round trips before ours settles near its steady state, ~2.5× faster
    /// than cold; the grpc-js baseline warms up alike), and median fan-out (ms) to
    /// <paramref name="fanout"/> UMs over <paramref name="rounds"/>.
    /// </summary>
    public static async Task<(double RttUs, double FanoutMs)> MeasureCmAsync(int warmup, int iterations, int fanout, int rounds, CancellationToken ct)
    {
        var registry = new UmRegistry(TimeProvider.System);
        var link = new GrpcLinkOptions();
        await using var host = await UmServiceHost.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), registry, link, TimeProvider.System, ct: ct);
        using var channel = UmChannel.Create(host.Address, link);
        var client = new UMService.UMServiceClient(channel);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var lost = new ConcurrentQueue<string>();
        var ums = new List<Task> { EchoUm(client, "um-0", lost, stop.Token) };
        await registry.WaitAsync(s => s.Count == 1, TimeSpan.FromSeconds(30), "the first UM", ct);

        async Task<double> RoundTripAsync()
        {
            var target = Interlocked.Read(ref registry.StatusesReceived) + 1;
            var start = Stopwatch.GetTimestamp();
            await registry.SendAsync("um-0", Prepare, ct);
            await registry.WaitAsync(_ => Interlocked.Read(ref registry.StatusesReceived) >= target, TimeSpan.FromSeconds(30), "the reply", ct);
            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        for (var i = 0; i < warmup; i++) await RoundTripAsync();
        var rtts = new List<double>(iterations);
        for (var i = 0; i < iterations; i++) rtts.Add(await RoundTripAsync());

        for (var i = 1; i < fanout; i++) ums.Add(EchoUm(client, $"um-{i}", lost, stop.Token));
        await registry.WaitAsync(s => s.Count == fanout, TimeSpan.FromSeconds(60), $"{fanout} UMs", ct);
        var nodes = registry.Statuses.Keys.ToList();
        var fanouts = new List<double>(rounds);
        for (var r = 0; r < rounds; r++)
        {
            var target = Interlocked.Read(ref registry.StatusesReceived) + nodes.Count;
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(nodes.Select(n => registry.SendAsync(n, Prepare, ct)));
            try
            {
                await registry.WaitAsync(_ => Interlocked.Read(ref registry.StatusesReceived) >= target, TimeSpan.FromSeconds(60), "every reply", ct);
            }
            catch (TimeoutException e) when (!lost.IsEmpty)
            {
                throw new TimeoutException($"{e.Message}; UM streams lost: {string.Join("; ", lost.Take(10))}", e);
            }
            fanouts.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        await stop.CancelAsync();
        await Task.WhenAll(ums.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        return (Median(rtts.Skip(iterations / 10)), Median(fanouts));
    }

    /// <summary>Runs the grpc-js baseline; returns its median round trip (µs) and fan-out (ms).</summary>
    public static async Task<(double RttUs, double FanoutMs)> MeasureGrpcJsAsync(string interopDirectory, int warmup, int iterations, int fanout, int rounds, CancellationToken ct)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = interopDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "bench.js", "--warmup", warmup.ToString(), "--iterations", iterations.ToString(), "--fanout", fanout.ToString(), "--rounds", rounds.ToString() }) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"grpc-js baseline failed ({process.ExitCode}): {await stderr}");
        using var doc = JsonDocument.Parse(stdout);
        return (doc.RootElement.GetProperty("rtt_us").GetDouble(), doc.RootElement.GetProperty("fanout_ms").GetDouble());
    }

    /// <summary>
    /// Check-ins of a fleet over mutual TLS, <paramref name="concurrency"/> at a time. Every unit is its own client —
    /// its own certificate, so its own connection, as on a real fleet — and checks in twice: first on a new connection
    /// (the TLS handshake and the server's certificate checks are part of it: a unit's first contact, or its daily one),
    /// then again on the connection it keeps (a unit that stays connected, as AosEdge units do), <paramref name="keptRounds"/>
    /// times. Returns the first rate and the median kept one.
    /// Unit <c>i</c> reports image version <c>i % 3</c>, so against one uploaded image two units in three are offered it.
    /// With <paramref name="serverCpu"/> (the server process's CPU time so far), each round's server CPU per check-in too.
    /// </summary>
    public static async Task<CheckInRates> CheckInsAsync(Uri cloud, string platformId,
        IReadOnlyList<(string UnitId, Func<HttpMessageHandler> Handler)> units, int concurrency, CancellationToken ct, Func<TimeSpan>? serverCpu = null,
        int keptRounds = 1, Action<string>? say = null)
    {
        if (keptRounds < 1) throw new ArgumentOutOfRangeException(nameof(keptRounds), keptRounds, "at least one round on kept connections");
        var clients = new HttpClient?[units.Count];
        try
        {
            var cpu0 = serverCpu?.Invoke() ?? TimeSpan.Zero;
            var first = await RoundAsync(i => clients[i] = new HttpClient(units[i].Handler()) { BaseAddress = cloud });
            var cpu1 = serverCpu?.Invoke() ?? TimeSpan.Zero;
            say?.Invoke($"  new connections: {first:0} /s; now {keptRounds} round(s) on the kept connections…");
            // Several rounds on the kept connections, the median of each figure: the machine is shared, one round is noisy.
            // The clients' own CPU too: on two cores they compete with the server they measure.
            var kept = new List<double>();
            var keptCpu = new List<double>();
            var clientCpu = new List<double>();
            using var self = Process.GetCurrentProcess();
            for (var round = 0; round < keptRounds; round++)
            {
                var before = serverCpu?.Invoke() ?? TimeSpan.Zero;
                self.Refresh();
                var clientBefore = self.TotalProcessorTime;
                kept.Add(await RoundAsync(i => clients[i]!));
                keptCpu.Add(((serverCpu?.Invoke() ?? TimeSpan.Zero) - before).TotalMicroseconds / units.Count);
                self.Refresh();
                clientCpu.Add((self.TotalProcessorTime - clientBefore).TotalMicroseconds / units.Count);
            }
            say?.Invoke($"  kept connections: {Median(kept):0} /s ({(serverCpu is null ? "" : $"server {Median(keptCpu):0.0} µs, ")}units {Median(clientCpu):0.0} µs CPU per check-in), median of {keptRounds}");
            return new CheckInRates(first, Median(kept), (cpu1 - cpu0).TotalMicroseconds / units.Count, Median(keptCpu)) { KeptClientCpuUs = Median(clientCpu) };
        }
        finally
        {
            foreach (var c in clients) c?.Dispose();
        }

        async Task<double> RoundAsync(Func<int, HttpClient> client)
        {
            var next = -1;
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < units.Count)
                {
                    using var response = await client(i).PostAsJsonAsync(CloudApi.CheckInPath,
                        new CheckInRequest(units[i].UnitId, platformId, i % 3, $"nonce-{i}"), Serialization.CloudJson.Default.CheckInRequest, ct);
                    if (!response.IsSuccessStatusCode)
                        throw new HttpRequestException($"check-in of {units[i].UnitId}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }
            }));
            return units.Count / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
    }

    /// <summary>Check-ins per second on new and on kept connections, and the server's CPU µs per check-in in each (0 when not measured).</summary>
    public sealed record CheckInRates(double FirstPerS, double KeptPerS, double FirstServerCpuUs, double KeptServerCpuUs)
    {
        /// <summary>CPU µs of this process (the simulated units) per check-in on kept connections.</summary>
        public double KeptClientCpuUs { get; init; }
    }

    /// <summary>
    /// A UM that answers every command with "prepared". Like the real UM it registers again when its stream ends (a
    /// keep-alive that timed out closes the connection and every stream on it); each end is kept in <paramref name="lost"/>
    /// so a wait that times out can say why the UMs were gone.
    /// </summary>
    private static async Task EchoUm(UMService.UMServiceClient client, string nodeId, ConcurrentQueue<string> lost, CancellationToken ct)
    {
        var idle = new UpdateStatus { NodeId = nodeId, UpdateState = UpdateState.Idle, ImageVersion = 1 };
        idle.Components.Add(new ComponentStatus { ComponentId = "rootfs", ComponentType = "rootfs-ab", Version = "1.0" });
        var prepared = idle.Clone();
        prepared.UpdateState = UpdateState.Prepared;
        prepared.ImageVersion = 2;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var call = client.RegisterUM(deadline: DateTime.UtcNow.AddHours(1), cancellationToken: ct);
                await call.RequestStream.WriteAsync(idle, ct);
                while (await call.ResponseStream.MoveNext(ct)) await call.RequestStream.WriteAsync(prepared, ct);
                lost.Enqueue($"{nodeId}: the CM ended the stream");
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException)
            {
                lost.Enqueue($"{nodeId}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : Math.Round(sorted[sorted.Length / 2], 2);
    }
}
