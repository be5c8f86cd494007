using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HilRig.Simulators.Benchmarks;
using HilRig.Simulators.SimNet;
using HilRig.SoftBus;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Discovery;
using HilRig.SoftBus.Sessions;
using HilRig.SoftBus.Transport;

namespace HilRig.Cli.Commands;

/// <summary>The figures of <c>hilrig bench softbus</c>, each with the baseline measured in the same run.</summary>
public sealed record SoftBusBenchmarkResult(
    double DiscoveryMedianMs, double DiscoveryP95Ms, double UdpRttMs, int DiscoveryRounds,
    double SessionMbps, double TcpMbps, double CoapRps, double LibcoapRps)
{
    public double SessionRatio => TcpMbps == 0 ? 0 : SessionMbps / TcpMbps;
    public double CoapRatio => LibcoapRps == 0 ? 0 : CoapRps / LibcoapRps;
}

/// <summary>
/// Two SimNet namespace hosts on a clean link, each with a soft-bus node whose sockets live in its namespace:
/// discovery latency (the first probe to DeviceFound) against a UDP round trip between the same hosts; session
/// throughput against raw TCP between the same hosts (<see cref="ThroughputProbe"/>); and CoAP GET /time requests per
/// second, from the same load generator, against our node and against libcoap's coap-server, both on loopback.
/// </summary>
public static class SoftBusBenchmark
{
    public static SoftBusBenchmarkResult Run(TimeSpan duration, int rounds, Action<string> progress)
    {
        SimNetRequiresRootException.ThrowIfNotRoot("hilrig bench softbus");
        NetworkNamespaces.SweepStale();
        progress("CoAP: our node and libcoap coap-server, alternating …");
        var (ours, libcoap) = MeasureCoap(duration);
        progress($"CoAP: ours {ours:0} req/s, coap-server {libcoap:0} req/s; SimNet hosts …");
        using var sw = new SimNetSwitch(new SimNetOptions { Seed = 9 });
        var a = sw.AddNamespaceHost(new NamespaceHostOptions("sb-bench-a", ["10.78.9.1/24"]));
        var b = sw.AddNamespaceHost(new NamespaceHostOptions("sb-bench-b", ["10.78.9.2/24"]));
        var rtt = MeasureUdpRtt(a, b, 200);
        progress($"UDP round trip {rtt:0.000} ms; discovery ×{rounds} …");
        var (median, p95) = MeasureDiscovery(a, b, rounds);
        progress($"discovery median {median:0.0} ms; raw TCP …");
        var tcp = ThroughputProbe.Measure(a.Namespace, b.Namespace, IPAddress.Parse(b.Address), duration).Mbps;
        progress($"raw TCP {tcp:0} Mbit/s; session …");
        var session = MeasureSession(a, b, duration);
        return new SoftBusBenchmarkResult(median, p95, rtt, rounds, session, tcp, ours, libcoap);
    }

    private static Func<AddressFamily, SocketType, Socket> In(NamespaceHost host) =>
        (family, type) => NamespaceSockets.Create(host.Namespace, family, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);

    private static SoftBusNode Node(NamespaceHost host, string name, string? pin, IReadOnlyList<string> publish) => SoftBusNode.Start(new SoftBusNodeOptions
    {
        Name = name, Pin = pin, Publish = publish, SocketFactory = In(host), Listen = IPAddress.Any,
        Advertise = (IPAddress.Parse(host.Address), IPAddress.Parse("10.78.9.255")),
    });

    /// <summary>Median and 95th percentile of the time from starting discovery (the first probe goes out at once) to DeviceFound.</summary>
    private static (double Median, double P95) MeasureDiscovery(NamespaceHost a, NamespaceHost b, int rounds)
    {
        using var speaker = Dispose(Node(a, "speaker", null, ["ddmpCapability"]));
        using var phone = Dispose(Node(b, "phone", null, []));
        var samples = new List<double>();
        for (var i = 0; i < rounds + 2; i++)
        {
            var found = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnFound(FoundDevice _) => found.TrySetResult(Stopwatch.GetTimestamp());
            phone.Value.Discovery.Forget();
            phone.Value.Discovery.DeviceFound += OnFound;
            var start = Stopwatch.GetTimestamp();
            phone.Value.Discovery.StartDiscovery();
            if (!found.Task.Wait(TimeSpan.FromSeconds(10))) throw new InvalidOperationException("discovery found nothing within 10 s on a clean link");
            phone.Value.Discovery.DeviceFound -= OnFound;
            phone.Value.Discovery.StopDiscoveryAsync().GetAwaiter().GetResult();
            if (i >= 2) samples.Add(Stopwatch.GetElapsedTime(start, found.Task.Result).TotalMilliseconds); // two warm-up rounds
        }
        samples.Sort();
        return (samples[samples.Count / 2], samples[(int)Math.Min(samples.Count - 1, Math.Ceiling(samples.Count * 0.95) - 1)]);
    }

    /// <summary>The median round trip of a small UDP datagram between the two hosts: what discovery's answer cannot beat.</summary>
    private static double MeasureUdpRtt(NamespaceHost a, NamespaceHost b, int count)
    {
        using var echo = NamespaceSockets.Create(a.Namespace, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        echo.Bind(new IPEndPoint(IPAddress.Parse(a.Address), 0));
        var echoAt = (IPEndPoint)echo.LocalEndPoint!;
        var stop = new CancellationTokenSource();
        var echoer = Task.Run(async () =>
        {
            var buffer = new byte[64];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var r = await echo.ReceiveFromAsync(buffer, SocketFlags.None, any, stop.Token);
                    await echo.SendToAsync(buffer.AsMemory(0, r.ReceivedBytes), SocketFlags.None, r.RemoteEndPoint);
                }
                catch (OperationCanceledException) { return; }
            }
        });
        using var client = NamespaceSockets.Create(b.Namespace, AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Parse(b.Address), 0));
        client.ReceiveTimeout = 2000;
        var samples = new List<double>();
        var payload = new byte[32];
        var reply = new byte[64];
        for (var i = 0; i < count + 10; i++)
        {
            var t = Stopwatch.GetTimestamp();
            client.SendTo(payload, echoAt);
            client.Receive(reply);
            if (i >= 10) samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        stop.Cancel();
        echoer.Wait(TimeSpan.FromSeconds(2));
        samples.Sort();
        return samples[samples.Count / 2];
    }

    /// <summary>Goodput of one session (64 KiB SendBytes back to back) from b to a, the bytes counted as they are delivered.</summary>
    private static double MeasureSession(NamespaceHost a, NamespaceHost b, TimeSpan duration)
    {
        using var sink = Dispose(Node(a, "sink", "135790", ["ddmpCapability"]));
        using var source = Dispose(Node(b, "source", null, []));
        long received = 0;
        sink.Value.Sessions.CreateSessionServer("bench.sink", new SessionListener { OnBytesReceived = (_, d) => Interlocked.Add(ref received, d.Length) });
        var link = source.Value.Auth.PairAsync(new IPEndPoint(IPAddress.Parse(a.Address), sink.Value.Auth.Port), "135790").GetAwaiter().GetResult();
        var session = source.Value.Sessions.OpenSessionAsync("bench.source", "bench.sink", link, new SessionListener()).GetAwaiter().GetResult();
        var chunk = new byte[64 * 1024];
        Random.Shared.NextBytes(chunk);
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed < TimeSpan.FromMilliseconds(500)) session.SendBytesAsync(chunk).GetAwaiter().GetResult();
        var before = Interlocked.Read(ref received);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration) session.SendBytesAsync(chunk).GetAwaiter().GetResult();
        var sent = Interlocked.Read(ref received) - before;
        var elapsed = clock.Elapsed;
        return sent * 8 / elapsed.TotalSeconds / 1e6;
    }

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Both servers run side by side, each in a process of its own, answering GET /time; the same load generator
    /// measures them in alternating one-second windows, so the machine's other load falls on both alike.
    /// </summary>
    private static (double Ours, double Libcoap) MeasureCoap(TimeSpan duration)
    {
        var libcoapPort = FreeUdpPort();
        Process libcoap;
        try
        {
            libcoap = Process.Start(new ProcessStartInfo("coap-server-notls", ["-A", "127.0.0.1", "-p", libcoapPort.ToString()]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("coap-server-notls is not installed (apt-get install libcoap3-bin): it is the CoAP baseline", e);
        }
        var oursPort = FreeUdpPort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { typeof(SoftBusBenchmark).Assembly.Location, "softbus", "node", "--name", "bench", "--listen", "127.0.0.1", "--port", oursPort.ToString() })
            psi.ArgumentList.Add(arg);
        var ours = Process.Start(psi)!;
        try
        {
            while (ours.StandardOutput.ReadLine() is { } line && !line.StartsWith("softbus node", StringComparison.Ordinal)) { }
            _ = ours.StandardOutput.ReadToEndAsync();
            var oursAt = new IPEndPoint(IPAddress.Loopback, oursPort);
            var libcoapAt = new IPEndPoint(IPAddress.Loopback, libcoapPort);
            Load(oursAt, TimeSpan.FromSeconds(1));
            Load(libcoapAt, TimeSpan.FromSeconds(1));
            double oursTotal = 0, libcoapTotal = 0;
            var windows = Math.Max(1, (int)duration.TotalSeconds);
            for (var i = 0; i < windows; i++)
            {
                oursTotal += Load(oursAt, TimeSpan.FromSeconds(1));
                libcoapTotal += Load(libcoapAt, TimeSpan.FromSeconds(1));
            }
            return (oursTotal / windows, libcoapTotal / windows);
        }
        finally
        {
            foreach (var p in new[] { libcoap, ours })
            {
                p.Kill();
                p.WaitForExit();
            }
        }
    }

    /// <summary>
    /// Requests per second from 8 clients (each its own UDP port, one CON GET /time in flight, as NSTART 1 asks),
    /// after a 100 ms ramp-up.
    /// </summary>
    private static double Load(IPEndPoint server, TimeSpan duration)
    {
        var clients = Enumerable.Range(0, 8).Select(_ => new CoapEndpoint(new UdpTransport(new IPEndPoint(IPAddress.Loopback, 0)))).ToList();
        try
        {
            // The server may still be binding: wait until it answers.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    clients[0].RequestAsync(CoapMessage.Request(CoapCode.Get, "/time"), server, cts.Token).GetAwaiter().GetResult();
                    break;
                }
                catch (OperationCanceledException) when (attempt < 10) { }
            }
            long count = 0;
            var measuring = false;
            using var stop = new CancellationTokenSource();
            var workers = clients.Select(c => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await c.RequestAsync(CoapMessage.Request(CoapCode.Get, "/time"), server, stop.Token);
                        if (Volatile.Read(ref measuring)) Interlocked.Increment(ref count);
                    }
                    catch (OperationCanceledException) { return; }
                }
            })).ToList();
            Thread.Sleep(100);
            Volatile.Write(ref measuring, true);
            var clock = Stopwatch.StartNew();
            Thread.Sleep(duration);
            var done = Interlocked.Read(ref count);
            var elapsed = clock.Elapsed;
            stop.Cancel();
            Task.WaitAll(workers.ToArray(), TimeSpan.FromSeconds(10));
            return done / elapsed.TotalSeconds;
        }
        finally
        {
            foreach (var c in clients) c.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static Disposer Dispose(SoftBusNode node) => new(node);

    private sealed class Disposer(SoftBusNode node) : IDisposable
    {
        public SoftBusNode Value => node;

        public void Dispose() => node.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
