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
        var length = writer.Flush();

        var cache = new CaptureLogCache(path);
        var hosts = new HostDirectory().Add("server", IpAddress.Parse("10.9.0.2"));
        var first = cache.Load(new HostDirectory(), DirectionView.Sent, length);
        var again = cache.Load(hosts, DirectionView.Sent, length);
        Assert.That(again.Events, Is.SameAs(first.Events), "nothing new in the file: not decoded again");
        Assert.That(again.Hosts, Is.SameAs(hosts), "the hosts of this load");
        Assert.That(cache.Load(hosts, DirectionView.Delivered, length).Events, Is.Empty, "each view decoded on its own");

        foreach (var f in source.Skip(10)) writer.Write(f.TimestampNanos, f.Data.Span, id, FrameDirection.Inbound);
        var grown = cache.Load(hosts, DirectionView.Sent, writer.Flush());
        Assert.That(grown.Events, Is.Not.SameAs(first.Events));
        Assert.That(grown.Events.Select(e => e.Frame).Distinct().Count(), Is.EqualTo(source.Count));
        Assert.That(grown.Events.Select(e => e.Summary), Is.EqualTo(CaptureLog.Load(path, view: DirectionView.Sent).Events.Select(e => e.Summary)));
    }

    [Test]
    public void Load_WhileTheWriterSpillsHalfABlock_ReadsTheCompleteFramesOnly()
    {
        // SimNet keeps writing while a step reads: a FileStream whose buffer fills mid-block writes that half block to
        // the file, and a reader going by the file's length met a block cut short ("file ends inside a record").
        var source = CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "grpc-demo.pcap"));
        var path = Path.Combine(RepoPaths.NewTempDirectory("log-cache"), "live.pcapng");
        using var writer = new PcapngWriter(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096));
        var id = writer.AddInterface("a", LinkType.Ethernet);
        foreach (var f in source.Take(10)) writer.Write(f.TimestampNanos, f.Data.Span, id, FrameDirection.Inbound);
        var complete = writer.Flush();
        var big = new byte[3000];
        writer.Write(1, big, id, FrameDirection.Inbound);
        writer.Write(2, big, id, FrameDirection.Inbound);
        Assert.That(new FileInfo(path).Length, Is.GreaterThan(complete).And.LessThan(complete + 2 * (big.Length + 40)),
            "the second block did not fit the buffer: part of it is in the file");

        var log = new CaptureLogCache(path).Load(new HostDirectory(), DirectionView.Sent, complete);
        Assert.That(log.Events.Select(e => e.Frame).Distinct().Count(), Is.EqualTo(10));
    }
}
