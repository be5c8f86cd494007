using System.Diagnostics;
using System.Text;
using HilRig.Capture.Decoding.Link;
using HilRig.Capture.Decoding.Network;
using HilRig.Capture.Decoding.Transport;
using HilRig.Capture.Files;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>
/// Our reassembled streams against <c>tshark -z follow,tcp,raw</c> on real Linux TCP (fixtures/captures/tcp-transfers.pcap,
/// see generate-tcp.sh): as captured; reordered and duplicated (must still equal tshark on the original); and with data
/// segments removed, as a capture that lost packets (must equal tshark on the same thinned file, whose follow output
/// marks each hole "[N bytes missing in capture file]").
/// </summary>
public class TcpFollowAgreementTests
{
    private static string Fixture => RepoPaths.Fixtures("captures", "tcp-transfers.pcap");

    [Test]
    public void AsCaptured_EveryStreamEqualsTsharkFollow()
    {
        var frames = CaptureFile.ReadAll(Fixture);
        AssertSameStreams(Reassemble(frames), TsharkFollow(Fixture));
    }

    [Test, Description("5 seeds: every frame displaced up to 8 places, 20% of data frames repeated later")]
    public void ReorderedAndDuplicated_EqualsTsharkFollowOfTheOriginal([Range(1, 5)] int seed)
    {
        var random = new Random(seed);
        var frames = CaptureFile.ReadAll(Fixture);
        var keyed = frames.Select((f, i) => (Key: i + random.NextDouble() * 8, Frame: f)).ToList();
        foreach (var (key, frame) in keyed.ToList())
            if (PayloadLength(frame) > 0 && random.Next(5) == 0) keyed.Add((key + random.Next(1, 30), frame));
        var mangled = keyed.OrderBy(k => k.Key).Select(k => k.Frame).ToList();
        // Shuffling moves ACKs ahead of the data they acknowledge, which no capture point on the path records, and an
        // ACK beyond a hole is what gives the hole up: so here holes wait for their data, as reordering needs.
        var ours = Reassemble(mangled, useAcknowledgements: false);
        AssertSameStreams(ours, TsharkFollow(Fixture));
    }

    [Test, Description("5 seeds: 10% of data segments removed; holes reported where tshark reports them")]
    public void DataSegmentsMissing_GapsMatchTsharkFollow([Range(1, 5)] int seed)
    {
        var random = new Random(seed);
        var frames = CaptureFile.ReadAll(Fixture);
        var thinned = frames.Where(f => PayloadLength(f) == 0 || (Flags(f) & (TcpFlags.Fin | TcpFlags.Syn)) != 0 || random.Next(10) != 0).ToList();
        Assume.That(thinned, Has.Count.LessThan(frames.Count));
        var path = Path.Combine(RepoPaths.NewTempDirectory("tcp-thinned"), "thinned.pcap");
        using (var writer = PcapWriter.Create(path))
            foreach (var f in thinned) writer.Write(f.TimestampNanos, f.Data.Span);
        var ours = Reassemble(thinned);
        Assert.That(ours.Values.Sum(s => s.Gaps), Is.GreaterThan(0));
        AssertSameStreams(ours, TsharkFollow(path));
    }

    private static void AssertSameStreams(Dictionary<string, Followed> ours, Dictionary<string, byte[]> tshark)
    {
        Assert.That(ours.Keys.Order(), Is.EqualTo(tshark.Keys.Order()), "the same directions with data");
        foreach (var (direction, bytes) in tshark)
        {
            var mine = ours[direction].Bytes.ToArray();
            // tshark prints a hole only when bytes follow it; we also report the one that ends a stream.
            if (ours[direction].TrailingGap is { } trailing && !bytes.AsSpan().EndsWith(trailing)) mine = mine[..^trailing.Length];
            Assert.That(mine.Length, Is.EqualTo(bytes.Length), direction);
            Assert.That(mine.AsSpan().SequenceEqual(bytes), Is.True, $"{direction}: first difference at byte {mine.Zip(bytes).TakeWhile(p => p.First == p.Second).Count()}");
        }
    }

    private sealed class Followed : ITcpStreamSink
    {
        public MemoryStream Bytes { get; } = new();
        public int Gaps;
        public byte[]? TrailingGap;

        public void OnBytes(ReadOnlySpan<byte> bytes)
        {
            TrailingGap = null;
            Bytes.Write(bytes);
        }

        // tshark's follow writes a marker where the capture has a hole.
        public void OnGap(long streamOffset, long length)
        {
            Gaps++;
            TrailingGap = Encoding.ASCII.GetBytes($"[{length} bytes missing in capture file]\0");
            Bytes.Write(TrailingGap);
        }
    }

    private static int PayloadLength(CapturedFrame f) => Parse(f) is { } p ? p.Payload.Length : 0;

    private static TcpFlags Flags(CapturedFrame f) => Parse(f)?.Tcp.Flags ?? TcpFlags.None;

    private static (string Source, string Destination, TcpSegment Tcp, byte[] Payload)? Parse(CapturedFrame frame)
    {
        var data = frame.Data.Span;
        if (!LinkLayer.TryRead(frame.LinkType, data, out var etherType, out var offset, out _, out _) || etherType != 0x0800) return null;
        if (!IPv4Packet.TryRead(data[offset..], out var ip) || ip.Protocol != IpProtocol.Tcp) return null;
        var segment = data[(offset + ip.HeaderLength)..(offset + ip.TotalLength)];
        if (!TcpSegment.TryRead(segment, out var tcp)) return null;
        return ($"{ip.Source}:{tcp.SourcePort}", $"{ip.Destination}:{tcp.DestinationPort}", tcp, segment[tcp.HeaderLength..].ToArray());
    }

    /// <summary>Both directions of every connection, keyed "src -> dst", wired as the capture decoder wires them (ACKs to the peer direction).</summary>
    private static Dictionary<string, Followed> Reassemble(IEnumerable<CapturedFrame> frames, bool useAcknowledgements = true)
    {
        var sinks = new Dictionary<string, Followed>();
        var reassemblers = new Dictionary<string, TcpReassembler>();
        TcpReassembler Direction(string key)
        {
            if (!reassemblers.TryGetValue(key, out var r))
            {
                var sink = sinks[key] = new Followed();
                reassemblers[key] = r = new TcpReassembler(sink);
            }
            return r;
        }
        foreach (var frame in frames)
        {
            if (Parse(frame) is not { } p) continue;
            if (useAcknowledgements && p.Tcp.Has(TcpFlags.Ack)) Direction($"{p.Destination} -> {p.Source}").OnAcknowledged(p.Tcp.Acknowledgment);
            Direction($"{p.Source} -> {p.Destination}").OnSegment(p.Tcp.Sequence, p.Tcp.Flags, p.Payload);
        }
        foreach (var r in reassemblers.Values) r.Flush();
        return sinks.Where(s => s.Value.Bytes.Length > 0).ToDictionary();
    }

    /// <summary>Every TCP stream of a file as tshark follows it, keyed "src -> dst".</summary>
    private static Dictionary<string, byte[]> TsharkFollow(string file)
    {
        var tshark = RequiredTool.Require("tshark", "reassembled TCP streams are checked against tshark's follow");
        var streams = Run(tshark, "-n", "-r", file, "-T", "fields", "-e", "tcp.stream").Split('\n', StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
        var result = new Dictionary<string, byte[]>();
        foreach (var stream in streams)
        {
            var lines = Run(tshark, "-n", "-r", file, "-q", "-z", $"follow,tcp,raw,{stream}").Split('\n');
            var node0 = lines.First(l => l.StartsWith("Node 0: ", StringComparison.Ordinal))[8..].Trim();
            var node1 = lines.First(l => l.StartsWith("Node 1: ", StringComparison.Ordinal))[8..].Trim();
            var forward = new MemoryStream();
            var backward = new MemoryStream();
            foreach (var line in lines.SkipWhile(l => !l.StartsWith("Node 1: ", StringComparison.Ordinal)).Skip(1).TakeWhile(l => !l.StartsWith('=')))
            {
                if (line.Length == 0) continue;
                (line.StartsWith('\t') ? backward : forward).Write(Convert.FromHexString(line.Trim()));
            }
            if (forward.Length > 0) result[$"{node0} -> {node1}"] = forward.ToArray();
            if (backward.Length > 0) result[$"{node1} -> {node0}"] = backward.ToArray();
        }
        return result;
    }

    private static string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(); throw new TimeoutException("tshark did not finish within 60 s"); }
        Assert.That(p.ExitCode, Is.Zero, $"tshark {string.Join(' ', args)}");
        return stdout.Result;
    }
}
