using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Link;

/// <summary>
/// Finds the network-layer protocol and payload of a frame for every supported link type, so the layers
/// above never care whether a capture came from SimNet (Ethernet), <c>tcpdump -i any</c> (SLL) or a raw IP tunnel.
/// </summary>
public static class LinkLayer
{
    /// <summary>Whether frames of this link type can be decoded at all: <see cref="LinkType"/> names exactly the ones <see cref="TryRead"/> handles.</summary>
    public static bool IsSupported(LinkType linkType) => Enum.IsDefined(linkType);

    /// <summary>The link types this decoder knows, for messages.</summary>
    public const string SupportedList = "Ethernet 1, Raw 101, Null 0, Linux SLL 113, SLL2 276";

    /// <summary>
    /// Returns false when the frame is shorter than its link header. Throws for a link type this project
    /// does not decode, naming it.
    /// </summary>
    public static bool TryRead(LinkType linkType, ReadOnlySpan<byte> frame, out ushort etherType, out int payloadOffset,
        out MacAddress? source, out MacAddress? destination)
    {
        etherType = 0; payloadOffset = 0; source = null; destination = null;
        switch (linkType)
        {
            case LinkType.Ethernet:
                if (!EthernetFrame.TryRead(frame, out var eth)) return false;
                etherType = eth.EtherType; payloadOffset = eth.PayloadOffset; source = eth.Source; destination = eth.Destination;
                return true;
            case LinkType.Raw:
                if (frame.Length < 1) return false;
                etherType = (frame[0] >> 4) switch
                {
                    4 => (ushort)EtherType.IPv4,
                    6 => (ushort)EtherType.IPv6,
                    var v => throw new ProtocolViolationException("raw", $"IP version {v} is neither 4 nor 6", 0),
                };
                return true;
            case LinkType.Null:
                // BSD loopback: a host-byte-order (little-endian on x86) address family.
                if (frame.Length < 4) return false;
                var family = BinaryPrimitives.ReadUInt32LittleEndian(frame);
                etherType = family switch
                {
                    2 => (ushort)EtherType.IPv4,
                    24 or 28 or 30 => (ushort)EtherType.IPv6,
                    _ => throw new ProtocolViolationException("null", $"address family {family} is not IPv4 or IPv6", 0),
                };
                payloadOffset = 4;
                return true;
            case LinkType.LinuxSll:
                // packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2)
                if (frame.Length < 16) return false;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]);
                payloadOffset = 16;
                if (BinaryPrimitives.ReadUInt16BigEndian(frame[4..]) == 6) source = MacAddress.Read(frame[6..]);
                return true;
            case LinkType.LinuxSll2:
                // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8)
                if (frame.Length < 20) return false;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(frame);
                payloadOffset = 20;
                if (frame[11] == 6) source = MacAddress.Read(frame[12..]);
                return true;
            default:
                throw new ProtocolViolationException("link", $"link type {(ushort)linkType} is not one this decoder knows ({SupportedList})", 0);
        }
    }
}
