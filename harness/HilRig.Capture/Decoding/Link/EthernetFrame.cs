using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Link;

/// <summary>EtherType values this project decodes.</summary>
public enum EtherType : ushort
{
    IPv4 = 0x0800,
    Arp = 0x0806,
    Vlan = 0x8100,
    IPv6 = 0x86DD,
}

/// <summary>
/// An Ethernet II header (IEEE 802.3, DIX framing), with at most one 802.1Q tag.
/// <code>
/// +-------------------+-------------------+-------------+-----------------------+
/// | Destination (6)   | Source (6)        | [802.1Q (4)]| EtherType (2) | data  |
/// +-------------------+-------------------+-------------+-----------------------+
/// </code>
/// </summary>
public readonly record struct EthernetFrame(MacAddress Destination, MacAddress Source, ushort EtherType, ushort? VlanId, int PayloadOffset)
{
    public const int HeaderLength = 14;
    private const int DestinationOffset = 0;
    private const int SourceOffset = 6;
    private const int TypeOffset = 12;

    /// <summary>False when fewer than a header's bytes are present.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out EthernetFrame header)
    {
        header = default;
        if (frame.Length < HeaderLength) return false;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[TypeOffset..]);
        var offset = HeaderLength;
        ushort? vlan = null;
        if (type == (ushort)Link.EtherType.Vlan)
        {
            if (frame.Length < HeaderLength + 4) return false;
            vlan = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0x0FFF);
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
            offset += 4;
        }
        header = new EthernetFrame(MacAddress.Read(frame[DestinationOffset..]), MacAddress.Read(frame[SourceOffset..]), type, vlan, offset);
        return true;
    }
}
