using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Capture.Files;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Assertions;

/// <summary>A capture read by many steps while it is being written is decoded again only when it has grown.</summary>
public class CaptureLogCacheTests
{
    [Test]
    public void Load_SameLength_SameDecodedEvents_GrownFile_DecodedAgain_PerView()
    {
        var source = CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "grpc-demo.pcap"));
        var path = Path.Combine(RepoPaths.NewTempDirectory("log-cache"), "live.pcapng");
        using var writer = PcapngWriter.Create(path);
        var id = writer.AddInterface("a", LinkType.Ethernet);
        foreach (var f in source.Take(10)) writer.Write(f.TimestampNanos, f.Data.Span, id, FrameDirection.Inbound);
        writer.Flush();

        var cache = new CaptureLogCache(path);
        var hosts = new HostDirectory().Add("server", IpAddress.Parse("10.9.0.2"));
        var first = cache.Load(new HostDirectory(), DirectionView.Sent);
        var again = cache.Load(hosts, DirectionView.Sent);
        Assert.That(again.Events, Is.SameAs(first.Events), "nothing new in the file: not decoded again");
        Assert.That(again.Hosts, Is.SameAs(hosts), "the hosts of this load");
        Assert.That(cache.Load(hosts, DirectionView.Delivered).Events, Is.Empty, "each view decoded on its own");

        foreach (var f in source.Skip(10)) writer.Write(f.TimestampNanos, f.Data.Span, id, FrameDirection.Inbound);
        writer.Flush();
        var grown = cache.Load(hosts, DirectionView.Sent);
        Assert.That(grown.Events, Is.Not.SameAs(first.Events));
        Assert.That(grown.Events.Select(e => e.Frame).Distinct().Count(), Is.EqualTo(source.Count));
        Assert.That(grown.Events.Select(e => e.Summary), Is.EqualTo(CaptureLog.Load(path, view: DirectionView.Sent).Events.Select(e => e.Summary)));
    }
}
