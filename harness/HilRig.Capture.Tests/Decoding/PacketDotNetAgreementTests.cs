using System.Net;
using System.Net.NetworkInformation;
using FsCheck;
using FsCheck.Fluent;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using NUnit.Framework;
using PacketDotNet;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// Our span decoders against another implementation: FsCheck builds random Ethernet/raw, IPv4/IPv6, TCP/UDP packets
/// with PacketDotNet (its own header layout and checksums), and the decoder, verifying checksums as scenario captures
/// are read, must read back the same addresses, ports and TCP/UDP fields and call every checksum good.
/// </summary>
public class PacketDotNetAgreementTests
{
    private const int Packets = 2000;

    public sealed record Spec(bool Ethernet, bool V6, bool Tcp, byte[] Source, byte[] Destination, ulong SourceMac, ulong DestinationMac,
        ushort SourcePort, ushort DestinationPort, uint Sequence, uint Acknowledgment, byte Flags, ushort Window, byte Ttl, byte[] Payload)
    {
        public override string ToString() =>
            $"{(Ethernet ? "eth" : "raw")}/{(V6 ? "ipv6" : "ipv4")}/{(Tcp ? "tcp" : "udp")} {new IPAddress(Source)}:{SourcePort} → {new IPAddress(Destination)}:{DestinationPort} " +
            $"seq={Sequence} ack={Acknowledgment} flags=0x{Flags:x2} win={Window} ttl={Ttl} payload={Payload.Length}";
    }

    /// <summary>
    /// Ports above the ones the decoder reads as CoAP, DNS or mDNS, so TCP and UDP are the top layer; unicast
    /// addresses (a multicast destination changes nothing here, but keeps the generator honest about what it tests).
    /// </summary>
    private static readonly Gen<Spec> Specs =
        from ethernet in Gen.Elements(true, false)
        from v6 in Gen.Elements(true, false)
        from tcp in Gen.Elements(true, false)
        from source in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), v6 ? 16 : 4)
        from destination in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), v6 ? 16 : 4)
        from macs in Gen.Choose(0, int.MaxValue).Two()
        from ports in Gen.Choose(6000, 65535).Two()
        from sequence in Gen.Choose(int.MinValue, int.MaxValue)
        from acknowledgment in Gen.Choose(int.MinValue, int.MaxValue)
        from flags in Gen.Choose(0, 255)
        from window in Gen.Choose(0, 65535)
        from ttl in Gen.Choose(1, 255)
        from length in Gen.Choose(0, 1400)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Spec(ethernet, v6, tcp, Unicast(source, v6), Unicast(destination, v6),
            0x0200_0000_0000UL | (uint)macs.Item1, 0x0200_0000_0000UL | (uint)macs.Item2, (ushort)ports.Item1, (ushort)ports.Item2,
            (uint)sequence, (uint)acknowledgment, (byte)flags, (ushort)window, (byte)ttl, Bytes(seed, length));

    [Test, Description("2000 random packets built by PacketDotNet")]
    public void RandomPackets_OurDecoderReadsWhatPacketDotNetWrote()
    {
        Prop.ForAll(Specs.ToArbitrary(), spec =>
        {
            var frame = Build(spec);
            var events = new List<DecodedEvent>();
            new CaptureDecoder(new DecoderOptions { VerifyChecksums = true })
                .Decode(new CapturedFrame(0, spec.Ethernet ? LinkType.Ethernet : LinkType.Raw, frame.Bytes, frame.Bytes.Length), events);
            Agrees(spec, frame, events);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Packets).WithReplay(Replay));
    }

    /// <summary>The same seed every run, so a failure reproduces; change it to explore further.</summary>
    private static readonly Replay Replay = new(new Rnd(0x5EED, 0xC0DF), null);

    private static void Agrees(Spec spec, Packet frame, List<DecodedEvent> events)
    {
        var what = spec.ToString();
        Assert.That(events, Has.Count.EqualTo(1), $"{what}: {string.Join(" | ", events)}");
        var e = events[0];
        var ip = frame.Extract<IPPacket>();
        Assert.That(e.Source.Ip, Is.EqualTo(IpAddress.From(ip.SourceAddress)), what);
        Assert.That(e.Destination.Ip, Is.EqualTo(IpAddress.From(ip.DestinationAddress)), what);
        if (frame is EthernetPacket ethernet)
        {
            Assert.That(e.Source.Mac, Is.EqualTo(MacAddress.Read(ethernet.SourceHardwareAddress.GetAddressBytes())), what);
            Assert.That(e.Destination.Mac, Is.EqualTo(MacAddress.Read(ethernet.DestinationHardwareAddress.GetAddressBytes())), what);
        }
        if (spec.Tcp)
        {
            var tcp = frame.Extract<TcpPacket>();
            Assert.That(e, Is.InstanceOf<TcpEvent>(), $"{what}: {e}");
            var ours = ((TcpEvent)e).Tcp;
            Assert.That((e.Source.Port, e.Destination.Port), Is.EqualTo(((ushort?)tcp.SourcePort, (ushort?)tcp.DestinationPort)), what);
            Assert.That((ours.Sequence, ours.Acknowledgment, (ushort)ours.Flags, ours.Window, ours.HeaderLength),
                Is.EqualTo((tcp.SequenceNumber, tcp.AcknowledgmentNumber, (ushort)(tcp.Flags & 0xff), tcp.WindowSize, tcp.DataOffset * 4)), what);
            Assert.That(((TcpEvent)e).PayloadLength, Is.EqualTo(tcp.PayloadData?.Length ?? 0), what);
        }
        else
        {
            var udp = frame.Extract<UdpPacket>();
            Assert.That(e, Is.InstanceOf<UdpEvent>(), $"{what}: {e}");
            var ours = ((UdpEvent)e).Udp;
            Assert.That((e.Source.Port, e.Destination.Port), Is.EqualTo(((ushort?)udp.SourcePort, (ushort?)udp.DestinationPort)), what);
            Assert.That((ours.Length, ours.Checksum, ours.PayloadLength), Is.EqualTo((udp.Length, udp.Checksum, udp.PayloadData?.Length ?? 0)), what);
        }
    }

    private static Packet Build(Spec spec)
    {
        Packet transport = spec.Tcp
            ? new TcpPacket(spec.SourcePort, spec.DestinationPort)
            {
                SequenceNumber = spec.Sequence, AcknowledgmentNumber = spec.Acknowledgment, Flags = spec.Flags, WindowSize = spec.Window, PayloadData = spec.Payload,
            }
            : new UdpPacket(spec.SourcePort, spec.DestinationPort) { PayloadData = spec.Payload };
        IPPacket ip = spec.V6
            ? new IPv6Packet(new IPAddress(spec.Source), new IPAddress(spec.Destination)) { HopLimit = spec.Ttl, PayloadPacket = transport }
            : new IPv4Packet(new IPAddress(spec.Source), new IPAddress(spec.Destination)) { TimeToLive = spec.Ttl, PayloadPacket = transport };
        if (transport is TcpPacket tcp) tcp.UpdateTcpChecksum();
        else ((UdpPacket)transport).UpdateUdpChecksum();
        if (ip is IPv4Packet v4) v4.UpdateIPChecksum();
        if (!spec.Ethernet) return ip;
        return new EthernetPacket(Mac(spec.SourceMac), Mac(spec.DestinationMac), spec.V6 ? EthernetType.IPv6 : EthernetType.IPv4) { PayloadPacket = ip };
    }

    private static PhysicalAddress Mac(ulong value) => new(BitConverter.GetBytes(value).Take(6).Reverse().ToArray());

    /// <summary>Keeps the address unicast and routable: no multicast, no unspecified, no IPv4 broadcast.</summary>
    private static byte[] Unicast(byte[] address, bool v6)
    {
        var a = address.ToArray();
        if (v6) a[0] = (byte)(0x20 | (a[0] & 0x0f)); // 2000::/4, global unicast
        else a[0] = (byte)(1 + a[0] % 223); // 1.x–223.x, below multicast
        return a;
    }

    private static byte[] Bytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
