using System.Buffers.Binary;
using HilRig.Capture.Decoding;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>Builds Ethernet/IPv4/UDP frames whose payload starts with a sequence number, to tell frames apart.</summary>
internal static class TestFrames
{
    public static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly MacAddress C = MacAddress.Parse("02:00:00:00:00:0c");
    public static readonly MacAddress Multicast = MacAddress.Parse("01:00:5e:00:01:bb");

    public static byte[] Udp(MacAddress dst, MacAddress src, int sequence, int payloadLength = 64, ushort sourcePort = 4000)
    {
        var frame = new byte[14 + 20 + 8 + payloadLength];
        dst.Write(frame);
        src.Write(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payloadLength));
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10; ip[15] = (byte)(src.Value & 0xff);
        ip[16] = 10; ip[19] = (byte)(dst.Value & 0xff);
        var udp = frame.AsSpan(34);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 4001);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payloadLength));
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(42), sequence);
        return frame;
    }

    public static int SequenceOf(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32BigEndian(frame[42..]);
}
