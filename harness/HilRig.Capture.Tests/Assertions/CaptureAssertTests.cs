using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Grpc;
using HilRig.Capture.Files;
using HilRig.Capture.Tests.Demo;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Assertions;

public class CaptureAssertTests
{
    private static readonly HostDirectory Hosts = new HostDirectory()
        .Add("client", Capture.Decoding.IpAddress.Parse("10.9.0.1"))
        .Add("server", Capture.Decoding.IpAddress.Parse("10.9.0.2"));

    private static CaptureLog Grpc()
    {
        var registry = new GrpcMessageRegistry();
        registry.RegisterFile(DemoReflection.Descriptor);
        return CaptureLog.Load(RepoPaths.Fixtures("captures", "grpc-demo.pcap"), Hosts, new DecoderOptions { Grpc = registry });
    }

    [Test]
    public void Count_Packets_CountsFramesNotTheEventsDecodedFromThem()
    {
        var log = Grpc();
        var frames = CaptureFile.ReadAll(log.PcapPath).Count;
        Assert.That(log.Events, Has.Count.GreaterThan(frames), "the capture has frames that decode to several events");
        CaptureAssert.Count(log, EventMatch.Any, frames, frames);
        var fromServer = log.Events.Where(e => Hosts.Is(e.Source, "server")).Select(e => e.Frame).Distinct().Count();
        CaptureAssert.Count(log, EventMatch.Any.Narrow("packet from server", e => Hosts.Is(e.Source, "server")), fromServer, fromServer);
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.Count(log, EventMatch.Any, 0, frames - 1))!;
        Assert.That(e.Reason, Is.EqualTo($"expected between 0 and {frames - 1} × packet, found {frames}"));
        Assert.That(e.Frame, Is.EqualTo(frames), "the first frame past the bound");
    }

    [Test]
    public void EachBefore_PrepareBeforeStart_Passes() =>
        CaptureAssert.EachBefore(Grpc(), "server", EventMatch.Grpc("Prepare"), ["client"], EventMatch.Grpc("Start"));

    [Test]
    public void EachBefore_StartBeforePrepare_FailsWithExcerptAndPcap()
    {
        var log = Grpc();
        var e = Assert.Throws<CaptureAssertionException>(() =>
            CaptureAssert.EachBefore(log, "server", EventMatch.Grpc("Start"), ["client"], EventMatch.Grpc("Prepare")))!;
        Assert.That(e.Reason, Is.EqualTo($"server sent Prepare (frame {e.Frame}) before sending Start to client (client got it only later)"));
        Assert.That(e.PcapPath, Does.EndWith("grpc-demo.pcap"));
        Assert.That(e.Excerpt, Does.Contain("▶ #" + e.Frame).And.Contain("server (10.9.0.2:50051) → client"));
    }

    [Test]
    public void EachBefore_UnknownHost_ErrorListsKnownHosts() =>
        Assert.That(Assert.Throws<ArgumentException>(() =>
                CaptureAssert.EachBefore(Grpc(), "cm", EventMatch.Grpc("Prepare"), ["um1"], EventMatch.Grpc("Start")))!.Message,
            Does.Contain("'cm'").And.Contain("client, server"));

    [Test]
    public void CoapRetransmissions_LibcoapSilentPeer_FiveSendsDoublingGaps()
    {
        var log = CaptureLog.Load(RepoPaths.Fixtures("captures", "coap-retransmit.pcap"), Hosts);
        Assert.That(CaptureAssert.CoapRetransmissions(log, maxRetransmissions: 4), Is.EqualTo(1));
        CaptureAssert.Count(log, EventMatch.CoapRequest("/silent"), 5, 5);
    }

    [Test]
    public void CoapRetransmissions_AtMostThree_FailsAtTheFifthSend()
    {
        var log = CaptureLog.Load(RepoPaths.Fixtures("captures", "coap-retransmit.pcap"), Hosts);
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.CoapRetransmissions(log, maxRetransmissions: 3))!;
        Assert.That(e.Reason, Does.Contain("was sent 5 times (at most 4 allowed)"));
        Assert.That(e.Frame, Is.EqualTo(14));
    }

    [Test]
    public void CoapRetransmissions_ShorterAckTimeout_FailsOnFirstGap()
    {
        var log = CaptureLog.Load(RepoPaths.Fixtures("captures", "coap-retransmit.pcap"), Hosts);
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.CoapRetransmissions(log, ackTimeout: TimeSpan.FromSeconds(1), tolerance: 0.1))!;
        Assert.That(e.Reason, Does.Contain("first retransmission after 2.59"));
    }

    [Test]
    public void NoneFrom_WindowWithTraffic_FailsNamingTheFrame()
    {
        var log = CaptureLog.Load(RepoPaths.Fixtures("captures", "coap-retransmit.pcap"), Hosts);
        var start = log.Events[0].Time;
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.NoneFrom(log, "client", start.AddSeconds(5), start.AddSeconds(10)))!;
        Assert.That(e.Frame, Is.EqualTo(8));
        CaptureAssert.NoneFrom(log, "client", start.AddSeconds(19), start.AddSeconds(38));
    }

    [Test]
    public void Count_TooMany_FailsAtFirstExcess()
    {
        var log = CaptureLog.Load(RepoPaths.Fixtures("captures", "coap-libcoap.pcap"), Hosts);
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.Count(log, EventMatch.CoapRequest("/time"), 0, 0))!;
        Assert.That(e.Reason, Is.EqualTo("expected exactly 0 × CoAP request /time, found 1"));
    }
}
