using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Network;

/// <summary>What checking one checksum field found.</summary>
public enum ChecksumVerdict
{
    Good,
    Bad,
    /// <summary>
    /// The field holds the pseudo-header sum: the sender left the checksum to its NIC (Linux CHECKSUM_PARTIAL), so a
    /// capture on the sending host, loopback included, sees it unfinished. Not an error; nothing to verify.
    /// </summary>
    LeftToHardware,
    /// <summary>No checksum was sent (UDP over IPv4 with a zero field, RFC 768; an IPv4 header checksum of zero).</summary>
    Absent,
}

/// <summary>
/// Verifies IPv4 header, TCP and UDP checksums the way a receiving host does (RFC 1071 ones'-complement sum over the
/// pseudo-header and the segment), telling a damaged packet from one whose checksum was never finished.
/// </summary>
public static class ChecksumCheck
{
    public const int TcpChecksumOffset = 16;
    public const int UdpChecksumOffset = 6;
    private const int IPv4ChecksumOffset = 10;

    /// <param name="header">The IPv4 header, options included.</param>
    public static ChecksumVerdict IPv4Header(ReadOnlySpan<byte> header, out ushort field, out ushort calculated)
    {
        field = BinaryPrimitives.ReadUInt16BigEndian(header[IPv4ChecksumOffset..]);
        var sum = InternetChecksum.Add(0, header);
        calculated = Calculated(sum, field);
        // Some stacks leave even the header checksum to the NIC and send zero; Linux never does.
        if (field == 0) return calculated == 0 ? ChecksumVerdict.Good : ChecksumVerdict.Absent;
        return InternetChecksum.Finish(sum) == 0 ? ChecksumVerdict.Good : ChecksumVerdict.Bad;
    }

    /// <summary>Checks a whole TCP segment or UDP datagram (<paramref name="segment"/> must not be cut by the capture).</summary>
    /// <param name="ip">The IP header the segment came in: IPv4 (addresses at 12–19) or IPv6 (addresses at 8–39).</param>
    /// <param name="fieldOffset"><see cref="TcpChecksumOffset"/> or <see cref="UdpChecksumOffset"/>.</param>
    public static ChecksumVerdict Transport(ReadOnlySpan<byte> ip, bool ipv4, IpProtocol protocol, ReadOnlySpan<byte> segment, int fieldOffset,
        out ushort field, out ushort calculated)
    {
        field = BinaryPrimitives.ReadUInt16BigEndian(segment[fieldOffset..]);
        var pseudo = ipv4
            ? InternetChecksum.PseudoHeaderV4(ip, (byte)protocol, segment.Length)
            : InternetChecksum.PseudoHeaderV6(ip, (byte)protocol, segment.Length);
        var sum = InternetChecksum.Add(pseudo, segment);
        calculated = Calculated(sum, field);
        if (protocol == IpProtocol.Udp && calculated == 0) calculated = 0xffff; // a computed zero is sent as all ones (RFC 768)
        if (InternetChecksum.Finish(sum) == 0) return ChecksumVerdict.Good;
        if (protocol == IpProtocol.Udp && ipv4 && field == 0) return ChecksumVerdict.Absent;
        // CHECKSUM_PARTIAL: the stack stores the folded pseudo-header sum and the NIC adds the segment to it.
        if (field == (ushort)~InternetChecksum.Finish(pseudo)) return ChecksumVerdict.LeftToHardware;
        return ChecksumVerdict.Bad;
    }

    /// <summary>The value the field should hold: the sum without the field's own contribution, complemented.</summary>
    private static ushort Calculated(ulong sumWithField, ushort field) =>
        InternetChecksum.Finish(sumWithField + (ushort)~field);
}
