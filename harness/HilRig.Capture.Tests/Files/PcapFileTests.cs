using System.Buffers.Binary;
using HilRig.Capture.Files;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Files;

public class PcapFileTests
{
    private static readonly byte[] FrameA = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
    private static readonly byte[] FrameB = Enumerable.Range(0, 1514).Select(i => (byte)(i * 7)).ToArray();

    [Test]
    public void Pcap_WrittenThenRead_SameFramesAndNanosecondTimes()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, nanosecond: true))
        {
            w.Write(1_700_000_000_123_456_789, FrameA);
            w.Write(1_700_000_001_000_000_001, FrameB);
        }
        var frames = CaptureFile.Open(new MemoryStream(ms.ToArray()), "mem").ReadAll();
        Assert.That(frames, Has.Count.EqualTo(2));
        Assert.That(frames[0].TimestampNanos, Is.EqualTo(1_700_000_000_123_456_789));
        Assert.That(frames[1].Data.ToArray(), Is.EqualTo(FrameB));
        Assert.That(frames[0].LinkType, Is.EqualTo(LinkType.Ethernet));
    }

    [Test]
    public void Writers_AfterDispose_WriteAndFlushAreIgnored()
    {
        // A capture stopped while a switch thread still holds it: the late frame is dropped, not an exception on that thread.
        var pcapng = new MemoryStream();
        var ng = new PcapngWriter(pcapng);
        var id = ng.AddInterface("a", LinkType.Ethernet);
        ng.Write(1, FrameA, id);
        ng.Dispose();
        Assert.DoesNotThrow(() => ng.Write(2, FrameB, id));
        Assert.DoesNotThrow(() => ng.Flush());
        Assert.That(ng.FrameCount, Is.EqualTo(1));

        var pcap = new PcapWriter(new MemoryStream());
        pcap.Write(1, FrameA);
        pcap.Dispose();
        Assert.DoesNotThrow(() => pcap.Write(2, FrameB));
        Assert.DoesNotThrow(() => pcap.Flush());
        Assert.That(pcap.FrameCount, Is.EqualTo(1));
    }

    [Test]
    public void Pcap_BigEndianMicroseconds_IsRead()
    {
        var file = new byte[24 + 16 + 4];
        BinaryPrimitives.WriteUInt32BigEndian(file, PcapFormat.MagicMicroseconds);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt16BigEndian(file.AsSpan(6), 4);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(16), 65535);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(20), 101);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(24), 10);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(28), 500_000);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(32), 4);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(36), 4);
        var frames = CaptureFile.Open(new MemoryStream(file), "be").ReadAll();
        Assert.That(frames.Single().TimestampNanos, Is.EqualTo(10_500_000_000));
        Assert.That(frames.Single().LinkType, Is.EqualTo(LinkType.Raw));
    }

    [Test]
    public void Pcap_CutMidRecord_ErrorNamesOffsetAfterReturningCompleteFrames()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms))
        {
            w.Write(0, FrameA);
            w.Write(0, FrameB);
        }
        var cut = ms.ToArray()[..(24 + 16 + 60 + 16 + 100)];
        using var reader = CaptureFile.Open(new MemoryStream(cut), "cut.pcap");
        Assert.That(reader.TryReadNext(out _), Is.True);
        var e = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _))!;
        Assert.That(e.Offset, Is.EqualTo(24 + 16 + 60));
        Assert.That(e.Message, Does.Contain("cut.pcap").And.Contain("ends inside a record"));
    }

    [Test]
    public void Open_UnknownMagic_ClearError()
    {
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream("GIF89a......"u8.ToArray()), "x.gif"))!;
        Assert.That(e.Message, Does.Contain("neither pcap nor pcapng").And.Contain("474946"));
        Assert.That(e.Offset, Is.EqualTo(0));
    }

    [Test]
    public void Open_EmptyFile_ClearError()
    {
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream(), "empty.pcap"))!;
        Assert.That(e.Message, Does.Contain("too short"));
    }

    [Test]
    public void Pcap_ImpossibleRecordLength_ErrorNamesOffsetOfLengthField()
    {
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms)) w.Write(0, FrameA);
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24 + 8), 0x7FFF_FFFF);
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream(bytes), "big").ReadAll())!;
        Assert.That(e.Offset, Is.EqualTo(24 + 8));
    }

    [Test]
    public void Pcapng_WrittenThenRead_KeepsInterfacesDirectionsAndComments()
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms))
        {
            var a = w.AddInterface("cm", LinkType.Ethernet);
            var b = w.AddInterface("um1", LinkType.Ethernet);
            w.Write(5_000_000_001, FrameA, a, FrameDirection.Inbound);
            w.Write(6_000_000_002, FrameB, b, FrameDirection.Outbound, "dropped: loss");
        }
        using var reader = (PcapngReader)CaptureFile.Open(new MemoryStream(ms.ToArray()), "mem");
        var frames = reader.ReadAll();
        Assert.That(reader.Interfaces.Select(i => i.Name), Is.EqualTo(new[] { "cm", "um1" }));
        Assert.That(frames[0].TimestampNanos, Is.EqualTo(5_000_000_001));
        Assert.That(frames[0].Direction, Is.EqualTo(FrameDirection.Inbound));
        Assert.That(frames[1].InterfaceId, Is.EqualTo(1));
        Assert.That(frames[1].Comment, Is.EqualTo("dropped: loss"));
        Assert.That(frames[1].Data.ToArray(), Is.EqualTo(FrameB));
    }

    [Test]
    public void Pcapng_PacketForUndescribedInterface_ErrorNamesIt()
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms))
        {
            w.AddInterface("a", LinkType.Ethernet);
            w.Write(0, FrameA, 0);
        }
        var bytes = ms.ToArray();
        // Interface id is the first field of the EPB body: the last block in the file.
        var epb = bytes.Length - (12 + 20 + 60);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(epb + 8), 3);
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream(bytes), "ng").ReadAll())!;
        Assert.That(e.Message, Does.Contain("interface 3").And.Contain("only 1"));
        Assert.That(e.Offset, Is.EqualTo(epb + 8));
    }

    [TestCase(0x7FFF_FFFDu)]
    [TestCase(0x7FFF_FFFFu)]
    [TestCase(0xFFFF_FFF0u)]
    public void Pcapng_HugeCapturedLength_FormatErrorAtTheLengthField(uint caplen)
    {
        // 20 + Pad4(caplen) overflowed int for lengths near 2^31 and let the slice throw ArgumentOutOfRangeException.
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms))
        {
            w.AddInterface("a", LinkType.Ethernet);
            w.Write(0, FrameA, 0);
        }
        var bytes = ms.ToArray();
        var epb = bytes.Length - (12 + 20 + 60);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(epb + 8 + 12), caplen);
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream(bytes), "ng").ReadAll())!;
        Assert.That(e.Message, Does.Contain("captured bytes"));
        Assert.That(e.Offset, Is.EqualTo(epb + 8 + 12));
    }

    [TestCase(0x7FFF_FFF0u)]
    [TestCase(0xFFFF_FFF0u)]
    public void Pcapng_ObsoletePacketWithHugeCapturedLength_FormatErrorAtTheLengthField(uint caplen)
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms)) w.AddInterface("a", LinkType.Ethernet);
        var header = ms.ToArray();
        // An obsolete packet block (type 2): interface 0, drops, timestamp, caplen, len, 60 bytes of data.
        var block = new byte[12 + 20 + 60];
        BinaryPrimitives.WriteUInt32LittleEndian(block, PcapngFormat.ObsoletePacketBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(4), (uint)block.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(8 + 12), caplen);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(8 + 16), 60);
        BinaryPrimitives.WriteUInt32LittleEndian(block.AsSpan(block.Length - 4), (uint)block.Length);
        var bytes = header.Concat(block).ToArray();
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream(bytes), "ng").ReadAll())!;
        Assert.That(e.Message, Does.Contain("captured bytes"));
        Assert.That(e.Offset, Is.EqualTo(header.Length + 8 + 12));
    }

    [Test]
    public void Pcapng_BlockLengthMismatch_ErrorNamesTrailer()
    {
        var ms = new MemoryStream();
        using (var w = new PcapngWriter(ms)) w.AddInterface("a", LinkType.Ethernet);
        var bytes = ms.ToArray();
        bytes[^4] ^= 0x10;
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Open(new MemoryStream(bytes), "ng").ReadAll())!;
        Assert.That(e.Message, Does.Contain("does not match its trailing length"));
        Assert.That(e.Offset, Is.EqualTo(bytes.Length - 4));
    }

    [Test]
    public void Pcapng_OurOutput_ReadsInTshark()
    {
        var dir = HilRig.Testing.RepoPaths.NewTempDirectory("pcapng");
        var path = Path.Combine(dir, "ours.pcapng");
        using (var w = PcapngWriter.Create(path))
        {
            var a = w.AddInterface("cm", LinkType.Ethernet);
            w.Write(1_700_000_000_000_000_000, FrameB, a, FrameDirection.Outbound, "hello tshark");
        }
        var rows = Tshark.Fields(path, "frame", ["frame.len", "frame.comment", "frame.interface_name", "frame.time_epoch"]);
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0][1], Is.EqualTo("1514"));
        Assert.That(rows[0][2], Is.EqualTo("hello tshark"));
        Assert.That(rows[0][3], Is.EqualTo("cm"));
        Assert.That(rows[0][4], Does.StartWith("1700000000.000000000"));
    }
}
