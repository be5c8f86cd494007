using System.Diagnostics;
using System.Net;
using HilRig.Capture;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Simulators.SimNet;

namespace HilRig.Simulators.Benchmarks;

/// <summary>The figures of <c>hilrig bench simnet</c>, each with its baseline from the same run.</summary>
public sealed record SimNetBenchmarkResult(
    double SimnetMbps, double VethMbps, double SimnetFps, double DecodePps, double TsharkPps, int Packets)
{
    /// <summary>SimNet with offloads off on its TAP ports: every frame a wire frame (the path impaired links and QEMU ports take).</summary>
    public double PerFrameMbps { get; init; }

    public double PerFrameFps { get; init; }

    /// <summary>The decoder with <see cref="DecoderOptions.VerifyChecksums"/> on, as scenario capture steps decode.</summary>
    public double DecodeVerifiedPps { get; init; }

    /// <summary>PacketDotNet's <c>Packet.ParsePacket</c> down to the transport ports, on the same capture as <see cref="DecodePps"/>.</summary>
    public double PacketDotNetPps { get; init; }

    /// <summary>Frames of the large capture that tshark's and our rates are also measured on.</summary>
    public int LargePackets { get; init; }

    /// <summary>tshark on the large capture: long enough that its start-up (about a second) does not make it look slow.</summary>
    public double TsharkLargePps { get; init; }

    /// <summary>Our decoder on the large capture.</summary>
    public double DecodeLargePps { get; init; }

    public double DecodeRatioLarge => TsharkLargePps == 0 ? 0 : DecodeLargePps / TsharkLargePps;

    public double ThroughputRatio => VethMbps == 0 ? 0 : SimnetMbps / VethMbps;
    public double DecodeRatio => TsharkPps == 0 ? 0 : DecodePps / TsharkPps;
}

/// <summary>
/// SimNet forwarding against a direct veth pair (TCP goodput between two namespaces, same duration, same
/// run), and our decoders against <c>tshark -T fields</c> on the same capture. Needs root; tshark for the
/// second half.
/// </summary>
public static class SimNetBenchmark
{
    public static SimNetBenchmarkResult Run(TimeSpan duration, int packets, string captureSource, string workDirectory, Action<string> progress, int mtu = 1500,
        int largePackets = 1_000_000)
    {
        SimNetRequiresRootException.ThrowIfNotRoot("hilrig bench simnet");
        NetworkNamespaces.SweepStale();
        progress("veth pair …");
        var veth = MeasureVeth(duration);
        progress($"veth: {veth.Mbps:0} Mbit/s; SimNet …");
        var (simnetMbps, simnetFps) = MeasureSimNet(duration, mtu, offloads: true);
        progress($"SimNet: {simnetMbps:0} Mbit/s, {simnetFps:0} frames/s; SimNet without offloads …");
        var (perFrameMbps, perFrameFps) = MeasureSimNet(duration, mtu, offloads: false);
        progress($"SimNet without offloads: {perFrameMbps:0} Mbit/s, {perFrameFps:0} frames/s; decoders …");
        var capture = Path.Combine(workDirectory, $"bench-{packets}.pcap");
        BuildCapture(captureSource, capture, packets);
        var decodePps = MeasureDecoder(capture, packets);
        var decodeVerifiedPps = MeasureDecoder(capture, packets, verifyChecksums: true);
        var packetDotNetPps = MeasurePacketDotNet(capture, packets);
        var tsharkPps = MeasureTshark(capture, packets);
        progress($"decoder {decodePps:0}/s, PacketDotNet {packetDotNetPps:0}/s, tshark {tsharkPps:0}/s on {packets} frames; {largePackets} frames …");
        var large = Path.Combine(workDirectory, $"bench-{largePackets}.pcap");
        BuildCapture(captureSource, large, largePackets);
        var decodeLargePps = MeasureDecoder(large, largePackets);
        var tsharkLargePps = MeasureTshark(large, largePackets);
        File.Delete(large);
        return new SimNetBenchmarkResult(simnetMbps, veth.Mbps, simnetFps, decodePps, tsharkPps, packets)
        {
            PerFrameMbps = perFrameMbps, PerFrameFps = perFrameFps, DecodeVerifiedPps = decodeVerifiedPps, PacketDotNetPps = packetDotNetPps,
            LargePackets = largePackets, DecodeLargePps = decodeLargePps, TsharkLargePps = tsharkLargePps,
        };
    }

    /// <summary>TCP goodput between two namespace hosts through SimNet, and the wire frames per second the switch read.</summary>
    private static (double Mbps, double Fps) MeasureSimNet(TimeSpan duration, int mtu, bool offloads)
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Seed = 1 });
        var a = sw.AddNamespaceHost(new NamespaceHostOptions("bench-a", ["10.78.0.1/24"]) { Mtu = mtu, Offloads = offloads });
        var b = sw.AddNamespaceHost(new NamespaceHostOptions("bench-b", ["10.78.0.2/24"]) { Mtu = mtu, Offloads = offloads });
        var framesBefore = a.Port.FramesReceived + b.Port.FramesReceived;
        var stopwatch = Stopwatch.StartNew();
        var r = ThroughputProbe.Measure(a.Namespace, b.Namespace, IPAddress.Parse(b.Address), duration);
        stopwatch.Stop();
        return (r.Mbps, (a.Port.FramesReceived + b.Port.FramesReceived - framesBefore) / stopwatch.Elapsed.TotalSeconds);
    }

    private static ThroughputProbe.Result MeasureVeth(TimeSpan duration)
    {
        var nsA = NetworkNamespaces.NewName("veth-a");
        var nsB = NetworkNamespaces.NewName("veth-b");
        NetworkNamespaces.Create(nsA);
        NetworkNamespaces.Create(nsB);
        try
        {
            var suffix = Environment.ProcessId % 100000;
            IpCommand.Run("link", "add", $"hrsnva{suffix}", "type", "veth", "peer", "name", $"hrsnvb{suffix}");
            IpCommand.Run("link", "set", $"hrsnva{suffix}", "netns", nsA);
            IpCommand.Run("link", "set", $"hrsnvb{suffix}", "netns", nsB);
            IpCommand.Batch(nsA, [$"addr add 10.79.0.1/24 dev hrsnva{suffix}", $"link set hrsnva{suffix} up", "link set lo up"]);
            IpCommand.Batch(nsB, [$"addr add 10.79.0.2/24 dev hrsnvb{suffix}", $"link set hrsnvb{suffix} up", "link set lo up"]);
            return ThroughputProbe.Measure(nsA, nsB, IPAddress.Parse("10.79.0.2"), duration);
        }
        finally
        {
            NetworkNamespaces.Delete(nsA);
            NetworkNamespaces.Delete(nsB);
        }
    }

    /// <summary>
    /// The real captures the benchmark capture repeats: CoAP from libcoap and gRPC over HTTP/2, the protocols scenarios
    /// assert on. Named, not globbed, so a new fixture does not silently change what decode_pps measures.
    /// </summary>
    public static readonly string[] CaptureSources = ["coap-libcoap.pcap", "coap-retransmit.pcap", "grpc-demo.pcap"];

    /// <summary>Repeats the frames of <see cref="CaptureSources"/> into one capture of <paramref name="packets"/> frames.</summary>
    public static void BuildCapture(string sourceDirectory, string path, int packets)
    {
        var missing = CaptureSources.Where(f => !File.Exists(Path.Combine(sourceDirectory, f))).ToList();
        if (missing.Count > 0) throw new InvalidOperationException($"{sourceDirectory}: missing {string.Join(", ", missing)} to build the benchmark capture from");
        var frames = CaptureSources.SelectMany(f => CaptureFile.ReadAll(Path.Combine(sourceDirectory, f))).ToList();
        using var writer = PcapWriter.Create(path);
        var t = 1_700_000_000_000_000_000L;
        for (var i = 0; i < packets; i++)
        {
            t += 10_000;
            writer.Write(t, frames[i % frames.Count].Data.Span);
        }
    }

    public static double MeasureDecoder(string capture, int packets, bool verifyChecksums = false)
    {
        var options = new DecoderOptions { VerifyChecksums = verifyChecksums };
        // Once to warm the JIT, then timed.
        Decode(capture, options);
        var stopwatch = Stopwatch.StartNew();
        var n = Decode(capture, options);
        stopwatch.Stop();
        if (n != packets) throw new InvalidOperationException($"decoded {n} frames, expected {packets}");
        return n / stopwatch.Elapsed.TotalSeconds;
    }

    private static long Decode(string capture, DecoderOptions options)
    {
        using var reader = CaptureFile.Open(capture);
        var decoder = new CaptureDecoder(options);
        var events = new List<DecodedEvent>();
        long frames = 0;
        while (reader.TryReadNext(out var frame))
        {
            events.Clear();
            decoder.Decode(frame, events);
            frames++;
        }
        return frames;
    }

    /// <summary>
    /// PacketDotNet parsing every frame down to its transport ports (what it decodes; ours goes on to L7), once untimed
    /// and then timed, as <see cref="MeasureDecoder"/> is. It parses a byte[], so each frame is copied out of the reader's
    /// buffer first, as a PacketDotNet user must.
    /// </summary>
    public static double MeasurePacketDotNet(string capture, int packets)
    {
        ParseWithPacketDotNet(capture);
        var stopwatch = Stopwatch.StartNew();
        var (n, _) = ParseWithPacketDotNet(capture);
        stopwatch.Stop();
        if (n != packets) throw new InvalidOperationException($"PacketDotNet parsed {n} frames, expected {packets}");
        return n / stopwatch.Elapsed.TotalSeconds;
    }

    private static (long Frames, long PortSum) ParseWithPacketDotNet(string capture)
    {
        using var reader = CaptureFile.Open(capture);
        long frames = 0, ports = 0;
        while (reader.TryReadNext(out var frame))
        {
            var packet = PacketDotNet.Packet.ParsePacket((PacketDotNet.LinkLayers)(int)frame.LinkType, frame.Data.ToArray());
            // The ports are read so the parse is not left lazy; their sum keeps the JIT from dropping the reads.
            if (packet.Extract<PacketDotNet.TransportPacket>() is { } transport) ports += transport.SourcePort + transport.DestinationPort;
            frames++;
        }
        return (frames, ports);
    }

    public static double MeasureTshark(string capture, int packets)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", "-r", capture, "-T", "fields", "-e", "frame.number", "-e", "ip.src", "-e", "udp.srcport", "-e", "tcp.srcport",
                     "-e", "coap.type", "-e", "coap.code", "-e", "coap.mid", "-e", "coap.token", "-e", "http2.type", "-e", "http2.headers.path", "-e", "grpc.message_length" })
            psi.ArgumentList.Add(a);
        var stopwatch = Stopwatch.StartNew();
        Process p;
        try
        {
            p = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("tshark is not installed (apt-get install tshark): it is the decoder baseline", e);
        }
        using (p)
        {
            var lines = 0;
            while (p.StandardOutput.ReadLine() is not null) lines++;
            p.WaitForExit();
            stopwatch.Stop();
            if (p.ExitCode != 0) throw new InvalidOperationException($"tshark failed: {p.StandardError.ReadToEnd()}");
            if (lines != packets) throw new InvalidOperationException($"tshark printed {lines} rows for {packets} packets");
        }
        return packets / stopwatch.Elapsed.TotalSeconds;
    }
}
