using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Network;

/// <summary>
/// An IPv4 header (RFC 791 §3.1).
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version|  IHL  |Type of Service|          Total Length         |
/// |         Identification        |Flags|      Fragment Offset    |
/// |  Time to Live |    Protocol   |         Header Checksum       |
/// |                       Source Address                          |
/// |                    Destination Address                        |
/// |                    Options                    |    Padding    |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public readonly record struct IPv4Packet(
    IpAddress Source, IpAddress Destination, IpProtocol Protocol, byte Ttl, ushort Identification,
    bool MoreFragments, int FragmentOffset, int HeaderLength, int TotalLength)
{
    public const int MinHeaderLength = 20;
    private const int TotalLengthOffset = 2;
    private const int IdentificationOffset = 4;
    private const int FlagsOffset = 6;
    private const int TtlOffset = 8;
    private const int ProtocolOffset = 9;
    private const int SourceOffset = 12;
    private const int DestinationOffset = 16;

    /// <summary>True for any fragment: decoders above IP only see complete datagrams.</summary>
    public bool IsFragment => MoreFragments || FragmentOffset != 0;

    public int PayloadLength => TotalLength - HeaderLength;

    /// <summary>
    /// False when the packet's header is cut short. Throws for a wrong version, an IHL below 5 or a
    /// total length shorter than the header. A total length beyond the captured bytes is allowed
    /// (snap length); callers clamp with <see cref="PayloadLength"/>.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out IPv4Packet packet)
    {
        packet = default;
        if (data.Length < MinHeaderLength) return false;
        var version = data[0] >> 4;
        if (version != 4) throw new ProtocolViolationException("ipv4", $"version {version} is not 4", 0);
        var ihl = (data[0] & 0x0F) * 4;
        if (ihl < MinHeaderLength) throw new ProtocolViolationException("ipv4", $"header length {ihl} is below 20", 0);
        var total = BinaryPrimitives.ReadUInt16BigEndian(data[TotalLengthOffset..]);
        if (total < ihl) throw new ProtocolViolationException("ipv4", $"total length {total} is shorter than its header ({ihl})", TotalLengthOffset);
        if (data.Length < ihl) return false;
        var flags = BinaryPrimitives.ReadUInt16BigEndian(data[FlagsOffset..]);
        packet = new IPv4Packet(IpAddress.FromV4(data[SourceOffset..]), IpAddress.FromV4(data[DestinationOffset..]),
            (IpProtocol)data[ProtocolOffset], data[TtlOffset], BinaryPrimitives.ReadUInt16BigEndian(data[IdentificationOffset..]),
            (flags & 0x2000) != 0, (flags & 0x1FFF) * 8, ihl, total);
        return true;
    }
}
