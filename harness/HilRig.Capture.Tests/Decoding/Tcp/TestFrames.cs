using System.Buffers.Binary;
using HilRig.Capture.Decoding.Transport;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>Minimal raw-IPv4 TCP frames (10.0.0.1 → 10.0.0.2) for decoder tests; checksums are not checked by the decoder.</summary>
internal static class TestFrames
{
    public static CapturedFrame Tcp(ushort sourcePort, ushort destinationPort, uint seq, TcpFlags flags, byte[] payload, uint ack = 0)
    {
        var frame = new byte[20 + 20 + payload.Length];
        frame[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)frame.Length);
        frame[8] = 64;
        frame[9] = 6;
        frame.AsSpan(12).Slice(0, 4).Fill(0); frame[12] = 10; frame[15] = 1;
        frame[16] = 10; frame[19] = 2;
        var tcp = frame.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
        tcp[12] = 5 << 4;
        tcp[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        payload.CopyTo(tcp[20..]);
        return new CapturedFrame(0, LinkType.Raw, frame, frame.Length);
    }
}
