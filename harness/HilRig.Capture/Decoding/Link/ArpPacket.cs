using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Link;

/// <summary>
/// An ARP packet for Ethernet/IPv4 (RFC 826).
/// <code>
/// | HTYPE (2) | PTYPE (2) | HLEN (1) | PLEN (1) | OPER (2) |
/// | SHA (6) | SPA (4) | THA (6) | TPA (4) |
/// </code>
/// </summary>
public readonly record struct ArpPacket(ushort Operation, MacAddress SenderMac, IpAddress SenderIp, MacAddress TargetMac, IpAddress TargetIp)
{
    public const int Length = 28;
    public const ushort Request = 1;
    public const ushort Reply = 2;

    public static bool TryRead(ReadOnlySpan<byte> data, out ArpPacket arp)
    {
        arp = default;
        if (data.Length < 8) return false;
        var htype = BinaryPrimitives.ReadUInt16BigEndian(data);
        var ptype = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (htype != 1 || ptype != 0x0800 || data[4] != 6 || data[5] != 4)
            throw new ProtocolViolationException("arp", $"only Ethernet/IPv4 ARP is decoded (htype {htype}, ptype 0x{ptype:x4}, hlen {data[4]}, plen {data[5]})", 0);
        if (data.Length < Length) return false;
        arp = new ArpPacket(BinaryPrimitives.ReadUInt16BigEndian(data[6..]),
            MacAddress.Read(data[8..]), IpAddress.FromV4(data[14..]), MacAddress.Read(data[18..]), IpAddress.FromV4(data[24..]));
        return true;
    }
}
