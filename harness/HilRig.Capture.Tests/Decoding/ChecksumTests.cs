using System.Buffers.Binary;
using System.Net;
using IPv6Packet = PacketDotNet.IPv6Packet;
using PacketDotNet;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Link;
using HilRig.Capture.Decoding.Network;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// Checksum verification (<see cref="DecoderOptions.VerifyChecksums"/>) on real captures: which packets are bad is
/// compared with tshark's <c>*.checksum.status</c> on the same file, and what the decoder reads after dropping them with
/// what it reads from the capture that never had them.
/// </summary>
public class ChecksumTests
{
    private static readonly DecoderOptions Verifying = new() { VerifyChecksums = true };

    [Test, Description("2,000 seeded buffers: lengths 0–4,000, every start alignment, runs of 0xFF that carry on every word")]
    public void InternetChecksum_EqualsTheRfc1071WordSum()
    {
        var random = new Random(1071);
        var buffer = new byte[4008];
        for (var n = 0; n < 2000; n++)
        {
            random.NextBytes(buffer);
            if (n % 4 == 0) buffer.AsSpan().Fill(0xff);
            var data = buffer.AsSpan(random.Next(8), random.Next(4001));
            var start = (ulong)random.Next(0x10000);
            ulong naive = start;
            for (var i = 0; i < data.Length; i += 2) naive += (ulong)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
            Assert.That(InternetChecksum.Finish(InternetChecksum.Add(start, data)), Is.EqualTo(InternetChecksum.Finish(naive)), $"case {n}, {data.Length} bytes");
        }
    }

    [TestCase("tcp-transfers.pcap")]
    [TestCase("grpc-demo.pcap")]
    [TestCase("coap-libcoap.pcap")]
    [TestCase("coap-retransmit.pcap")]
    [TestCase("http1-cloud.pcapng")]
    public void RealCaptures_NothingIsBadAndNothingChanges(string fixture)
    {
        var path = RepoPaths.Fixtures("captures", fixture);
        var verified = CaptureDecoder.DecodeFile(path, Verifying);
        Assert.That(verified.OfType<BadChecksumEvent>(), Is.Empty);
        Assert.That(verified.Select(e => e.ToString()), Is.EqualTo(CaptureDecoder.DecodeFile(path).Select(e => e.ToString())));
    }

    [Test]
    public void LoopbackCapture_ChecksumsLeftToTheNicAreRecognised()
    {
        // Captured on lo, where Linux leaves TCP checksums to a NIC that is not there: tshark calls every one bad.
        var path = RepoPaths.Fixtures("captures", "tcp-transfers.pcap");
        var verdicts = CaptureFile.ReadAll(path).Select(f => TransportVerdict(f.Data.ToArray())).Where(v => v is not null).ToList();
        Assert.That(verdicts, Has.Count.EqualTo(160));
        Assert.That(verdicts, Is.All.EqualTo(ChecksumVerdict.LeftToHardware));
        var tshark = Tshark.Fields(path, "tcp", ["tcp.checksum.status"], "-o", "tcp.check_checksum:TRUE");
        Assert.That(tshark.Select(r => r[1]), Is.All.EqualTo("0"), "tshark's status 0 is bad");
        // Finished by the test as the NIC would finish them, tshark and we both call them good.
        var completed = WriteCapture("tcp-completed", CaptureFile.ReadAll(path).Select(f => Complete(f.Data.ToArray())));
        Assert.That(CaptureFile.ReadAll(completed).Select(f => TransportVerdict(f.Data.ToArray())).Where(v => v is not null), Is.All.EqualTo(ChecksumVerdict.Good));
        Assert.That(Tshark.Fields(completed, "tcp", ["tcp.checksum.status"], "-o", "tcp.check_checksum:TRUE").Select(r => r[1]), Is.All.EqualTo("1"));
    }

    [Test, Description("3 seeds: a bit flipped in the TCP header or payload of a copy sent ahead of 20% of data segments")]
    public void CorruptedFirstCopies_AreTheOnesTsharkCallsBad_AndTheCleanRetransmissionsAreRead([Range(1, 3)] int seed)
    {
        var random = new Random(seed);
        var clean = CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "tcp-transfers.pcap")).Select(f => (f.TimestampNanos, Bytes: Complete(f.Data.ToArray()))).ToList();
        var mangled = new List<(long TimestampNanos, byte[] Bytes)>();
        var corruptedFrames = new List<long>();
        foreach (var frame in clean)
        {
            if (TcpPayloadLength(frame.Bytes) > 0 && random.Next(5) == 0)
            {
                var copy = frame.Bytes.ToArray();
                var tcpStart = TcpOffset(copy);
                var bit = random.Next((copy.Length - tcpStart) * 8);
                copy[tcpStart + bit / 8] ^= (byte)(1 << (bit % 8));
                mangled.Add((frame.TimestampNanos, copy));
                corruptedFrames.Add(mangled.Count);
            }
            mangled.Add(frame);
        }
        Assume.That(corruptedFrames, Is.Not.Empty);
        var cleanPath = WriteCapture("tcp-clean", clean);
        var mangledPath = WriteCapture("tcp-corrupted", mangled);

        var events = CaptureDecoder.DecodeFile(mangledPath, Verifying);
        var bad = events.OfType<BadChecksumEvent>().ToList();
        Assert.That(bad.Select(e => e.Frame), Is.EqualTo(corruptedFrames), $"seed {seed}");
        Assert.That(bad.Select(e => e.Layer), Is.All.EqualTo(ChecksumLayer.Tcp));
        var tsharkBad = Tshark.Fields(mangledPath, "tcp.checksum.status == 0", ["tcp.checksum"], "-o", "tcp.check_checksum:TRUE");
        Assert.That(tsharkBad.Select(r => long.Parse(r[0])), Is.EqualTo(corruptedFrames), "the frames tshark calls bad");
        Assert.That(bad.Select(e => $"0x{e.Field:x4}"), Is.EqualTo(tsharkBad.Select(r => r[1])), "the field as tshark reads it");

        // Dropping the bad copies leaves exactly what the clean capture decodes to: streams, HTTP and TCP analysis alike.
        Assert.That(events.Where(e => e is not BadChecksumEvent).Select(e => e.Summary),
            Is.EqualTo(CaptureDecoder.DecodeFile(cleanPath).Select(e => e.Summary)));
        // Unverified, the first copy wins and the clean one is taken for a retransmission.
        Assert.That(CaptureDecoder.DecodeFile(mangledPath).Select(e => e.Summary),
            Is.Not.EqualTo(CaptureDecoder.DecodeFile(cleanPath).Select(e => e.Summary)));
    }

    [Test]
    public void CorruptedCoapDatagram_IsDroppedInsteadOfDecoded()
    {
        // Finished first: libcoap's datagrams were captured on the sending side, their checksums left to the NIC.
        var frames = CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "coap-libcoap.pcap")).Select(f => (f.TimestampNanos, Bytes: Complete(f.Data.ToArray()))).ToList();
        var index = frames.FindIndex(f => UdpLength(f.Bytes) > 12);
        var target = frames[index].Bytes;
        target[^1] ^= 0x40; // last payload byte
        var path = WriteCapture("coap-corrupted", frames);

        var verified = CaptureDecoder.DecodeFile(path, Verifying).Where(e => e.Frame == index + 1).ToList();
        Assert.That(verified, Has.Count.EqualTo(1));
        var bad = verified[0] as BadChecksumEvent;
        Assert.That(bad, Is.Not.Null, verified[0].ToString());
        Assert.That((bad!.Layer, bad.Offset, bad.Protocol), Is.EqualTo((ChecksumLayer.Udp, (long)UdpOffset(target) + 6, "udp")));
        Assert.That(CaptureDecoder.DecodeFile(path).Single(e => e.Frame == index + 1), Is.InstanceOf<CoapEvent>(), "unverified, it decodes as CoAP");
        var tshark = Tshark.Fields(path, $"frame.number == {index + 1}", ["udp.checksum.status", "udp.checksum"], "-o", "udp.check_checksum:TRUE");
        Assert.That((tshark[0][1], tshark[0][2]), Is.EqualTo(("0", $"0x{bad.Field:x4}")));
    }

    [Test]
    public void CorruptedIPv4Header_IsReportedAtItsChecksumField()
    {
        var frames = CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "coap-libcoap.pcap")).Select(f => (f.TimestampNanos, Bytes: f.Data.ToArray())).ToList();
        var index = frames.FindIndex(f => IsIPv4(f.Bytes, IpProtocol.Udp));
        frames[index].Bytes[IpOffset(frames[index].Bytes) + 8] ^= 0x01; // TTL
        var path = WriteCapture("ipv4-corrupted", frames);

        var events = CaptureDecoder.DecodeFile(path, Verifying).Where(e => e.Frame == index + 1).ToList();
        Assert.That(events.Single(), Is.InstanceOf<BadChecksumEvent>());
        var bad = (BadChecksumEvent)events.Single();
        Assert.That((bad.Layer, bad.Protocol, bad.Offset), Is.EqualTo((ChecksumLayer.IPv4, "ip", (long)IpOffset(frames[index].Bytes) + 10)));
        Assert.That((bad.Source.Ip, bad.Destination.Ip), Is.EqualTo(((IpAddress?)null, (IpAddress?)null)), "a damaged header's addresses are not trusted");
        var tshark = Tshark.Fields(path, $"frame.number == {index + 1}", ["ip.checksum.status", "ip.checksum"], "-o", "ip.check_checksum:TRUE");
        Assert.That((tshark[0][1], tshark[0][2]), Is.EqualTo(("0", $"0x{bad.Field:x4}")));
        Assert.That(bad.ToJson(), Does.Contain("\"checksum_status\":\"bad\"").And.Contain($"\"checksum_calculated\":\"0x{bad.Calculated:x4}\""));
    }

    [Test]
    public void SegmentCutByTheSnapLength_IsNotChecked()
    {
        var frame = Complete(CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "tcp-transfers.pcap")).Select(f => f.Data.ToArray()).First(b => TcpPayloadLength(b) > 40));
        frame[^1] ^= 0x01; // would be bad, but the capture only kept the first bytes
        var cut = new CapturedFrame(0, LinkType.Ethernet, frame.AsMemory(0, frame.Length - 20), frame.Length);
        var events = new List<DecodedEvent>();
        new CaptureDecoder(Verifying).Decode(cut, events);
        Assert.That(events, Has.None.InstanceOf<BadChecksumEvent>());
        Assert.That(events, Has.Some.InstanceOf<TcpEvent>());
    }

    [Test]
    public void UdpOverIPv4WithoutAChecksum_IsNotBad()
    {
        var frame = CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "coap-libcoap.pcap")).Select(f => f.Data.ToArray()).First(b => UdpLength(b) > 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(UdpOffset(frame) + 6), 0);
        var udp = frame.AsSpan(UdpOffset(frame), UdpLength(frame));
        Assert.That(ChecksumCheck.Transport(InternetChecksum.AddressSum(frame.AsSpan(IpOffset(frame)), true), true, IpProtocol.Udp, udp, udp.Length,
            ChecksumCheck.UdpChecksumOffset, out _, out _), Is.EqualTo(ChecksumVerdict.Absent));
        Assert.That(DecodeOne(frame).Single(), Is.InstanceOf<CoapEvent>());
    }

    [TestCase(+8, TestName = "DamagedUdpLength_Longer_IsDamageNotCoap")]
    [TestCase(-1, TestName = "DamagedUdpLength_Shorter_IsDamageNotMalformed")]
    public void DamagedUdpLength_IsADamagedPacket(int change)
    {
        var frame = Complete(CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "coap-libcoap.pcap")).Select(f => f.Data.ToArray()).First(b => UdpLength(b) > 12));
        var at = UdpOffset(frame) + 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at)) + change));
        var events = DecodeOne(frame);
        Assert.That(events.Single(), Is.InstanceOf<BadChecksumEvent>().With.Property(nameof(BadChecksumEvent.Layer)).EqualTo(ChecksumLayer.Udp));
    }

    [Test]
    public void DamagedTcpDataOffset_IsADamagedPacketNotAMalformedOne()
    {
        var frame = Complete(CaptureFile.ReadAll(RepoPaths.Fixtures("captures", "tcp-transfers.pcap")).Select(f => f.Data.ToArray()).First(b => TcpPayloadLength(b) > 40));
        frame[TcpOffset(frame) + 12] = 0x10; // data offset 1 word: unreadable as TCP
        Assert.That(DecodeOne(frame).Single(), Is.InstanceOf<BadChecksumEvent>().With.Property(nameof(BadChecksumEvent.Layer)).EqualTo(ChecksumLayer.Tcp));
        Assert.That(new CaptureDecoder().DecodeAllOf(frame).Single(), Is.InstanceOf<MalformedEvent>(), "unverified, it is merely malformed");
    }

    [Test]
    public void IPv6_ChecksumsHold_UnlessThePayloadLengthWasDamaged()
    {
        var datagram = IPv6Udp(routed: false);
        Assert.That(DecodeOne(datagram).Single(), Is.InstanceOf<UdpEvent>(), "a good IPv6 UDP checksum");
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(14 + 4), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(14 + 4)) + 16));
        Assert.That(DecodeOne(datagram).Single(), Is.InstanceOf<BadChecksumEvent>(), "IPv6 says 16 bytes more than the uncut frame holds");
    }

    [Test]
    public void IPv6WithSegmentsLeftInARoutingHeader_IsNotChecked()
    {
        // The checksum covers the final destination, which is in the routing header, not the IPv6 header (RFC 8200 §8.1).
        Assert.That(DecodeOne(IPv6Udp(routed: true)).Single(), Is.InstanceOf<UdpEvent>());
    }

    [Test]
    public void IPv4WithALooseSourceRoute_IsNotChecked()
    {
        Span<byte> header = stackalloc byte[28];
        header[0] = 0x47;
        header[20] = 1; // no-operation
        header[21] = 0x83; // loose source and record route
        header[22] = 7;
        Assert.That(ChecksumCheck.IsSourceRouted(header), Is.True);
        header[21] = 0x44; // timestamp
        Assert.That(ChecksumCheck.IsSourceRouted(header), Is.False);
    }

    private static List<DecodedEvent> DecodeOne(byte[] frame) => new CaptureDecoder(Verifying).DecodeAllOf(frame);

    /// <summary>
    /// Ethernet + IPv6 (fe80::1 → fe80::2) + optional type-2 routing header to fe80::3 + UDP 5000 → 5001, built by
    /// PacketDotNet with a right checksum. PacketDotNet builds no routing header, so the routed frame is made as a
    /// sender makes it (RFC 8200 §8.1): the UDP checksum over the final destination, then the datagram carried to the
    /// first hop behind a routing header that names the final one.
    /// </summary>
    private static byte[] IPv6Udp(bool routed)
    {
        var (source, hop, final) = (IPAddress.Parse("fe80::1"), IPAddress.Parse("fe80::2"), IPAddress.Parse("fe80::3"));
        var udp = new UdpPacket(5000, 5001) { PayloadData = "hello"u8.ToArray() };
        var inner = new IPv6Packet(source, routed ? final : hop) { HopLimit = 64, PayloadPacket = udp };
        udp.UpdateUdpChecksum();
        var mac = System.Net.NetworkInformation.PhysicalAddress.Parse("02-00-00-00-00-01");
        if (!routed) return new EthernetPacket(mac, mac, EthernetType.IPv6) { PayloadPacket = inner }.Bytes;
        // Routing header type 2 (RFC 6275 §6.4): next header UDP, length 2 (24 bytes), 1 segment left, the final address.
        var routing = new byte[24];
        (routing[0], routing[1], routing[2], routing[3]) = ((byte)IpProtocol.Udp, 2, 2, 1);
        final.GetAddressBytes().CopyTo(routing, 8);
        byte[] payload = [.. routing, .. udp.Bytes];
        // PacketDotNet keeps the payload length of raw payload data as it was; it is set here.
        var outer = new IPv6Packet(source, hop) { HopLimit = 64, NextHeader = ProtocolType.IPv6RoutingHeader, PayloadData = payload, PayloadLength = (ushort)payload.Length };
        return new EthernetPacket(mac, mac, EthernetType.IPv6) { PayloadPacket = outer }.Bytes;
    }

    /// <summary>Where the IPv4 header starts; -1 for ARP, IPv6 and anything else.</summary>
    private static int IpOffset(byte[] frame) =>
        LinkLayer.TryRead(LinkType.Ethernet, frame, out var etherType, out var offset, out _, out _) && etherType == 0x0800 ? offset : -1;

    private static bool IsIPv4(byte[] frame, IpProtocol protocol) => IpOffset(frame) is var ip and >= 0 && frame[ip + 9] == (byte)protocol;

    private static int TcpOffset(byte[] frame) => IpOffset(frame) + (frame[IpOffset(frame)] & 0x0f) * 4;

    private static int UdpOffset(byte[] frame) => TcpOffset(frame);

    private static int TcpPayloadLength(byte[] frame)
    {
        if (!IsIPv4(frame, IpProtocol.Tcp)) return 0;
        var ip = IpOffset(frame);
        var tcp = TcpOffset(frame);
        return ip + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(ip + 2)) - tcp - (frame[tcp + 12] >> 4) * 4;
    }

    private static int UdpLength(byte[] frame) =>
        IsIPv4(frame, IpProtocol.Udp) ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(UdpOffset(frame) + 4)) : 0;

    private static ChecksumVerdict? TransportVerdict(byte[] frame)
    {
        if (!IsIPv4(frame, IpProtocol.Tcp)) return null;
        var ip = IpOffset(frame);
        var end = ip + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(ip + 2));
        var segment = frame.AsSpan(TcpOffset(frame)..end);
        return ChecksumCheck.Transport(InternetChecksum.AddressSum(frame.AsSpan(ip), true), true, IpProtocol.Tcp, segment, segment.Length,
            ChecksumCheck.TcpChecksumOffset, out _, out _);
    }

    /// <summary>Fills in the TCP or UDP checksum as a NIC finishing a CHECKSUM_PARTIAL packet does.</summary>
    private static byte[] Complete(byte[] frame)
    {
        var protocol = IsIPv4(frame, IpProtocol.Tcp) ? IpProtocol.Tcp : IsIPv4(frame, IpProtocol.Udp) ? IpProtocol.Udp : (IpProtocol?)null;
        if (protocol is null) return frame;
        var ip = IpOffset(frame);
        var end = ip + BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(ip + 2));
        var segment = frame.AsSpan(TcpOffset(frame)..end);
        var field = segment[(protocol == IpProtocol.Tcp ? ChecksumCheck.TcpChecksumOffset : ChecksumCheck.UdpChecksumOffset)..];
        field[0] = field[1] = 0;
        var checksum = InternetChecksum.Finish(InternetChecksum.Add(InternetChecksum.PseudoHeaderV4(frame.AsSpan(ip), (byte)protocol, segment.Length), segment));
        BinaryPrimitives.WriteUInt16BigEndian(field, protocol == IpProtocol.Udp && checksum == 0 ? (ushort)0xffff : checksum);
        return frame;
    }

    private static string WriteCapture(string name, IEnumerable<byte[]> frames) =>
        WriteCapture(name, frames.Select(f => (0L, f)));

    private static string WriteCapture(string name, IEnumerable<(long TimestampNanos, byte[] Bytes)> frames)
    {
        var path = Path.Combine(RepoPaths.NewTempDirectory(name), $"{name}.pcap");
        using var writer = PcapWriter.Create(path);
        foreach (var (time, bytes) in frames) writer.Write(time, bytes);
        return path;
    }
}

internal static class DecoderTestExtensions
{
    /// <summary>Decodes one whole (uncut) Ethernet frame.</summary>
    public static List<DecodedEvent> DecodeAllOf(this CaptureDecoder decoder, byte[] frame)
    {
        var events = new List<DecodedEvent>();
        decoder.Decode(new CapturedFrame(0, LinkType.Ethernet, frame, frame.Length), events);
        return events;
    }
}
