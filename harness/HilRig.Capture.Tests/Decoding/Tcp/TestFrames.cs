using System.Net;
using HilRig.Capture.Decoding.Transport;
using PacketDotNet;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>
/// Raw-IPv4 TCP frames (10.0.0.1 → 10.0.0.2) for decoder tests, built by PacketDotNet with real IPv4 and TCP
/// checksums, so a test that turns checksum verification on reads them as a receiver would.
/// </summary>
internal static class TestFrames
{
    public static CapturedFrame Tcp(ushort sourcePort, ushort destinationPort, uint seq, TcpFlags flags, byte[] payload, uint ack = 0)
    {
        var tcp = new TcpPacket(sourcePort, destinationPort)
        {
            SequenceNumber = seq,
            AcknowledgmentNumber = ack,
            Flags = (ushort)flags,
            WindowSize = 65535,
            PayloadData = payload,
        };
        var ip = new IPv4Packet(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")) { TimeToLive = 64, PayloadPacket = tcp };
        tcp.UpdateTcpChecksum();
        ip.UpdateIPChecksum();
        var frame = ip.Bytes;
        return new CapturedFrame(0, LinkType.Raw, frame, frame.Length);
    }
}
