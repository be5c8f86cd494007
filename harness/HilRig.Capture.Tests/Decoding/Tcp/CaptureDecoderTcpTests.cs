using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Transport;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>The decoder's TCP connection handling on the recorded gRPC capture, damaged the ways captures get damaged.</summary>
public class CaptureDecoderTcpTests
{
    private static readonly DecoderOptions Options = new() { Http2Ports = [50051] };

    private static List<CapturedFrame> Frames() => CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "grpc-demo.pcap"));

    private static List<DecodedEvent> Decode(IEnumerable<CapturedFrame> frames)
    {
        var decoder = new CaptureDecoder(Options);
        var events = new List<DecodedEvent>();
        foreach (var f in frames) decoder.Decode(f, events);
        decoder.Finish(events);
        return events;
    }

    private static int PayloadOf(CapturedFrame frame) =>
        Decode([frame]).OfType<TcpEvent>().FirstOrDefault()?.PayloadLength ?? 0;

    private static string[] Http2(IEnumerable<DecodedEvent> events) =>
        events.Where(e => e is Http2Event or GrpcEvent).Select(e => $"{e.Frame} {e.Source} {e.Summary}").ToArray();

    [Test]
    public void DuplicatedSyn_AfterData_DoesNotRestartTheConnection()
    {
        var frames = Frames();
        var expected = Http2(Decode(frames));
        // SimNet duplication delivers a second copy of the SYN late: frame numbers after it shift by one.
        var withDuplicate = frames.Take(10).Append(frames[0]).Concat(frames.Skip(10)).ToList();
        var events = Decode(withDuplicate);
        Assert.That(events.OfType<TcpEvent>().Count(e => e.Frame == 11 && e.Analysis == TcpAnalysis.Retransmission), Is.EqualTo(1));
        Assert.That(Http2(events.Where(e => e.Frame > 11)).Length, Is.EqualTo(expected.Count(e => long.Parse(e.Split(' ')[0]) > 10)));
        Assert.That(events.OfType<MalformedEvent>(), Is.Empty);
    }

    [Test]
    public void ClientSegmentMissing_GapReported_ClientDirectionStops_ServerDirectionStillDecoded()
    {
        var frames = Frames();
        var original = Decode(frames);
        var client = original.OfType<Http2Event>().First().Source;
        // Drop the second data segment the client sent after the preface.
        var victim = frames.Select((f, i) => (f, i)).Where(x => PayloadOf(x.f) > 0 && Decode([x.f]).First().Source == client).Skip(2).First().i;
        var events = Decode(frames.Where((_, i) => i != victim));
        var gap = events.OfType<TcpGapEvent>().Single();
        Assert.That(gap.Source, Is.EqualTo(client));
        Assert.That(gap.Missing, Is.EqualTo(PayloadOf(frames[victim])));
        Assert.That(events.OfType<MalformedEvent>(), Is.Empty, "bytes after the hole are not misread as frames");
        Assert.That(events.Where(e => e is Http2Event or GrpcEvent && e.Source == client && e.Frame > gap.Frame), Is.Empty);
        var serverAfter = original.Count(e => e is Http2Event or GrpcEvent && e.Source != client && e.Frame > victim + 1);
        Assert.That(events.Count(e => e is Http2Event or GrpcEvent && e.Source != client && e.Frame >= victim + 1), Is.EqualTo(serverAfter));
    }

    [Test]
    public void ManyConnections_TableAndHeldBytesStayBounded()
    {
        var decoder = new CaptureDecoder(new DecoderOptions { MaxTcpConnections = 100, MaxTcpPendingBytes = 10_000 });
        var events = new List<DecodedEvent>();
        // 1000 connections, each with a segment after a hole that is never filled.
        for (var port = 0; port < 1000; port++)
        {
            decoder.Decode(TestFrames.Tcp((ushort)(20000 + port), 80, seq: 1000, TcpFlags.Syn, []), events);
            decoder.Decode(TestFrames.Tcp((ushort)(20000 + port), 80, seq: 1101, TcpFlags.Ack, new byte[100]), events);
            Assert.That(decoder.TrackedTcpConnections, Is.LessThanOrEqualTo(100));
            Assert.That(decoder.HeldTcpBytes, Is.LessThanOrEqualTo(10_000));
        }
    }
}
