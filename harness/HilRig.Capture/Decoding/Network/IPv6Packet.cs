using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Network;

/// <summary>
/// An IPv6 header (RFC 8200 §3) and the extension-header chain up to the upper-layer protocol.
/// <code>
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Version| Traffic Class |           Flow Label                  |
/// |         Payload Length        |  Next Header  |   Hop Limit   |
/// +                         Source Address (128)                  +
/// +                      Destination Address (128)                +
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public readonly record struct IPv6Packet(
    IpAddress Source, IpAddress Destination, IpProtocol Protocol, byte HopLimit, int PayloadOffset, int PayloadLength, bool IsFragment,
    bool IsRoutedOnward = false)
{
    public const int HeaderLength = 40;
    private const int PayloadLengthOffset = 4;
    private const int NextHeaderOffset = 6;
    private const int HopLimitOffset = 7;
    private const int SourceOffset = 8;
    private const int DestinationOffset = 24;

    /// <summary>False when the header or an extension header is cut short; throws on a wrong version or a chain that overruns the payload.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out IPv6Packet packet)
    {
        packet = default;
        if (data.Length < HeaderLength) return false;
        var version = data[0] >> 4;
        if (version != 6) throw new ProtocolViolationException("ipv6", $"version {version} is not 6", 0);
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[PayloadLengthOffset..]);
        var next = (IpProtocol)data[NextHeaderOffset];
        var offset = HeaderLength;
        var end = HeaderLength + payloadLength;
        var fragment = false;
        var routedOnward = false;
        // Walk extension headers: each starts with (Next Header, Hdr Ext Len in 8-octet units not counting the first).
        while (next is IpProtocol.HopByHop or IpProtocol.Routing or IpProtocol.DestinationOptions or IpProtocol.Fragment)
        {
            if (data.Length < offset + 8) return false;
            var thisHeader = next;
            next = (IpProtocol)data[offset];
            var length = thisHeader == IpProtocol.Fragment ? 8 : (data[offset + 1] + 1) * 8;
            // Segments left (RFC 8200 §4.4): the final destination is in the routing header, not in the IPv6 header.
            if (thisHeader == IpProtocol.Routing && data[offset + 3] > 0) routedOnward = true;
            if (thisHeader == IpProtocol.Fragment)
            {
                var fo = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
                fragment = (fo & 0xFFF8) != 0 || (fo & 1) != 0;
            }
            if (offset + length > end)
                throw new ProtocolViolationException("ipv6", $"extension header {thisHeader} of {length} bytes overruns the payload length {payloadLength}", offset);
            offset += length;
            if (offset > data.Length) return false;
        }
        packet = new IPv6Packet(IpAddress.FromV6(data[SourceOffset..]), IpAddress.FromV6(data[DestinationOffset..]),
            next, data[HopLimitOffset], offset, end - offset, fragment, routedOnward);
        return true;
    }
}
