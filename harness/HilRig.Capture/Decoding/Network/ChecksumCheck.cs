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
    public const int IPv4ChecksumOffset = 10;
    public const int TcpChecksumOffset = 16;
    public const int UdpChecksumOffset = 6;
    private const byte LooseSourceRoute = 0x83;
    private const byte StrictSourceRoute = 0x89;

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

    /// <summary>
    /// True when an IPv4 header carries a loose or strict source route (RFC 791 §3.1): the transport checksum then covers
    /// the final destination from the option, not the header's, so it cannot be checked with the header's addresses.
    /// </summary>
    public static bool IsSourceRouted(ReadOnlySpan<byte> ipv4Header)
    {
        var options = ipv4Header[IPv4Packet.MinHeaderLength..];
        for (var i = 0; i < options.Length;)
        {
            var type = options[i];
            if (type == 0) return false; // end of options
            if (type == 1) { i++; continue; } // no-operation
            if (type is LooseSourceRoute or StrictSourceRoute) return true;
            if (i + 1 >= options.Length || options[i + 1] < 2) return false;
            i += options[i + 1];
        }
        return false;
    }

    /// <summary>Checks a TCP segment or UDP datagram against its pseudo-header.</summary>
    /// <param name="addressSum">From <see cref="InternetChecksum.AddressSum"/>.</param>
    /// <param name="ipv4">Over IPv4, where UDP may go without a checksum.</param>
    /// <param name="covered">The bytes the checksum covers, as far as the capture holds them.</param>
    /// <param name="length">
    /// The length the pseudo-header carries: TCP's from the IP header, UDP's own length field. Longer than
    /// <paramref name="covered"/> means the packet ends before its header says (a damaged length): bad.
    /// </param>
    /// <param name="fieldOffset"><see cref="TcpChecksumOffset"/> or <see cref="UdpChecksumOffset"/>.</param>
    public static ChecksumVerdict Transport(ulong addressSum, bool ipv4, IpProtocol protocol, ReadOnlySpan<byte> covered, int length, int fieldOffset,
        out ushort field, out ushort calculated)
    {
        field = BinaryPrimitives.ReadUInt16BigEndian(covered[fieldOffset..]);
        var pseudo = InternetChecksum.PseudoHeader(addressSum, (byte)protocol, length);
        var sum = InternetChecksum.Add(pseudo, covered);
        calculated = Calculated(sum, field);
        if (protocol == IpProtocol.Udp && calculated == 0) calculated = 0xffff; // a computed zero is sent as all ones (RFC 768)
        if (length != covered.Length) return ChecksumVerdict.Bad;
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
