using System.Buffers.Binary;
using HilRig.Capture;
using HilRig.Capture.Files;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// One super-frame through the switch without namespaces: passed whole to an offloading port, cut for a plain one and
/// for an impaired link, recorded as wire frames by the capture on the way in and on the way out, counted as wire frames.
/// </summary>
public class OffloadSwitchingTests
{
    private readonly ManualTimeProvider _time = new();

    private static byte[] WithHeader(byte[] frame, VirtioNetHeader h)
    {
        var packet = new byte[VirtioNetHeader.Length + frame.Length];
        packet[0] = h.Flags;
        packet[1] = h.GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(2), h.HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(4), h.GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(6), h.ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(8), h.ChecksumOffset);
        frame.CopyTo(packet, VirtioNetHeader.Length);
        return packet;
    }

    [Test]
    public void SuperFrame_WholeToOffloadPort_CutForPlainPortAndImpairedLink_CapturedAsWireFrames()
    {
        var (frame, header) = GsoSegmenterTests.SuperFrame(ipv6: false, payload: 10_000);
        var wire = GsoSegmenterTests.Segment(frame, header);
        Assert.That(wire, Has.Count.EqualTo(7));
        var packet = WithHeader(frame, header);
        var path = Path.Combine(RepoPaths.NewTempDirectory("simnet-gso"), "switch.pcapng");

        var sw = new SimNetSwitch(new SimNetOptions { Seed = 3, Time = _time });
        var a = sw.AddPort(new OffloadRecordingPort("a"));
        var b = sw.AddPort(new OffloadRecordingPort("b"));
        var c = sw.AddPort(new RecordingPort("c", _time));
        sw.StartCapture(path);
        sw.OnFrame(a, packet); // unknown unicast: flooded to b and c
        Assert.That(b.WithHeader.Select(p => p.ToArray()), Is.EqualTo(new[] { packet }), "the offloading port gets the super-frame whole");
        Assert.That(c.Sent.Select(s => s.Frame), Is.EqualTo(wire), "the plain port gets the wire frames");
        Assert.That(a.FramesReceived, Is.EqualTo(7));
        var wireBytes = wire.Sum(w => (long)w.Length);
        Assert.That((sw.Statistics("a", "b").Forwarded, sw.Statistics("a", "b").ForwardedBytes), Is.EqualTo((7L, wireBytes)));
        Assert.That((sw.Statistics("a", "c").Forwarded, sw.Statistics("a", "c").ForwardedBytes), Is.EqualTo((7L, wireBytes)));
        Assert.That((b.FramesSent, c.FramesSent), Is.EqualTo((7L, 7L)));

        sw.Impair("a", "c", new LinkImpairment { Duplicate = 1 });
        sw.Partition(["b"]);
        sw.OnFrame(a, packet);
        Assert.That(c.Sent.Skip(7).Select(s => s.Frame), Is.EqualTo(wire.SelectMany(w => new[] { w, w })), "each wire frame decided (and duplicated) on its own");
        Assert.That(sw.Statistics("a", "b").LostPartition, Is.EqualTo(7), "a partition drops the wire frames it stands for");
        Assert.That(b.WithHeader, Has.Count.EqualTo(1));
        sw.Dispose();

        var captured = CaptureFile.ReadAll(path).Select(f => (f.InterfaceId, f.Direction, Data: f.Data.ToArray())).ToList();
        var expected = wire.Select(w => (a.Index, FrameDirection.Inbound, w))
            .Concat(wire.Select(w => (b.Index, FrameDirection.Outbound, w)))
            .Concat(wire.Select(w => (c.Index, FrameDirection.Outbound, w)))
            .Concat(wire.Select(w => (a.Index, FrameDirection.Inbound, w)))
            .Concat(wire.SelectMany(w => new[] { (c.Index, FrameDirection.Outbound, w), (c.Index, FrameDirection.Outbound, w) }));
        Assert.That(captured, Is.EqualTo(expected.ToList()), "a mirror port's view: wire frames in, wire frames out");
    }

    /// <summary>A port that offloads like a TAP with IFF_VNET_HDR: packets come and go with their virtio-net header.</summary>
    private sealed class OffloadRecordingPort(string host) : SwitchPort(host)
    {
        private readonly List<byte[]> _withHeader = new();

        public override string Kind => "test";

        public override int OffloadHeaderLength => VirtioNetHeader.Length;

        public IReadOnlyList<byte[]> WithHeader
        {
            get { lock (_withHeader) return _withHeader.ToList(); }
        }

        internal override int Receive(Span<byte> buffer)
        {
            Thread.Sleep(20);
            return 0;
        }

        internal override void Send(ReadOnlySpan<byte> frame) => throw new AssertionException("a plain frame was sent to an offloading port in this test");

        internal override void SendWithHeader(ReadOnlySpan<byte> headerAndPacket)
        {
            lock (_withHeader) _withHeader.Add(headerAndPacket.ToArray());
        }

        public override void Dispose() { }
    }
}
