using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Transport;

/// <summary>
/// A UDP header (RFC 768).
/// <code>
///  0      7 8     15 16    23 24    31
/// +--------+--------+--------+--------+
/// |     Source      |   Destination   |
/// |      Port       |      Port       |
/// +--------+--------+--------+--------+
/// |     Length      |    Checksum     |
/// +--------+--------+--------+--------+
/// </code>
/// </summary>
public readonly record struct UdpDatagram(ushort SourcePort, ushort DestinationPort, int Length, ushort Checksum)
{
    public const int HeaderLength = 8;

    public int PayloadLength => Length - HeaderLength;

    public static bool TryRead(ReadOnlySpan<byte> data, out UdpDatagram udp)
    {
        udp = default;
        if (data.Length < HeaderLength) return false;
        var length = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        if (length < HeaderLength) throw new ProtocolViolationException("udp", $"length {length} is below the 8-byte header", 4);
        udp = new UdpDatagram(BinaryPrimitives.ReadUInt16BigEndian(data), BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
            length, BinaryPrimitives.ReadUInt16BigEndian(data[6..]));
        return true;
    }
}
