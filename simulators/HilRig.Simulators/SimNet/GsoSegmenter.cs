using System.Buffers.Binary;
using HilRig.Capture.Decoding.Network;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Turns a packet from an offloading TAP port into the wire frames it stands for, as the NIC would have: a TCP GSO
/// super-frame (IPv4 or IPv6) into MSS-sized segments — sequence numbers advanced, IPv4 length/id/header checksum and
/// the TCP checksum computed, FIN and PSH on the last segment only, CWR on the first — and a single frame whose
/// checksum was left to the "hardware" (NEEDS_CSUM) into that frame with its checksum completed. A plain frame comes
/// out unchanged. Used only where frames must be individual (impairment, capture, ports without offloads).
/// <code>
/// var segments = new GsoSegmenter(frame, header);
/// while (segments.TryNext(scratch, out var length)) Use(scratch[..length]);
/// </code>
/// </summary>
public ref struct GsoSegmenter
{
    private const int EthernetHeader = 14;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86dd;
    private const byte ProtocolTcp = 6;
    private const byte TcpFin = 0x01, TcpPsh = 0x08, TcpCwr = 0x80;

    private readonly ReadOnlySpan<byte> _frame;
    private readonly VirtioNetHeader _header;
    private readonly int _headers;   // Ethernet + IP + TCP header bytes
    private readonly int _ipOffset;
    private readonly bool _ipv4;
    private readonly int _mss;
    private int _next;               // offset of the next payload byte to emit
    private int _index;
    private bool _done;

    public GsoSegmenter(ReadOnlySpan<byte> frame, VirtioNetHeader header)
    {
        _frame = frame;
        _header = header;
        _ipOffset = EthernetHeader;
        _headers = 0;
        _ipv4 = false;
        _mss = 0;
        _next = 0;
        _index = 0;
        _done = false;
        if (!header.IsGso) return;
        // A super-frame must be TCP over IPv4/IPv6 with sane headers; anything else goes out as one frame (TryNext copies it).
        if (frame.Length < EthernetHeader + 20) { _done = false; return; }
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int transport;
        if (etherType == EtherTypeIpv4 && frame[_ipOffset + 9] == ProtocolTcp)
        {
            _ipv4 = true;
            transport = _ipOffset + (frame[_ipOffset] & 0x0f) * 4;
        }
        else if (etherType == EtherTypeIpv6 && frame.Length >= _ipOffset + 40 && frame[_ipOffset + 6] == ProtocolTcp)
            transport = _ipOffset + 40;
        else return;
        if (frame.Length < transport + 20) return;
        var tcpHeader = (frame[transport + 12] >> 4) * 4;
        if (tcpHeader < 20 || frame.Length < transport + tcpHeader || header.GsoSize == 0) return;
        _headers = transport + tcpHeader;
        _mss = header.GsoSize;
        _next = _headers;
    }

    /// <summary>Number of wire frames this packet stands for.</summary>
    public readonly int Count => _mss == 0 ? 1 : Math.Max(1, (_frame.Length - _headers + _mss - 1) / _mss);

    /// <summary>Bytes of all the wire frames together (each repeats the headers).</summary>
    public readonly long WireBytes => _mss == 0 ? _frame.Length : _frame.Length + (long)(Count - 1) * _headers;

    /// <summary>Writes the next wire frame into <paramref name="output"/> (at least 14 + 60 + 60 + MSS bytes; the frame length for plain ones).</summary>
    public bool TryNext(Span<byte> output, out int length)
    {
        length = 0;
        if (_done) return false;
        if (_mss == 0)
        {
            // One frame: copy it, completing a checksum the sender left to the hardware.
            _done = true;
            _frame.CopyTo(output);
            length = _frame.Length;
            if (_header.NeedsChecksum) CompleteChecksum(output[..length], _header);
            return true;
        }
        var payload = Math.Min(_mss, _frame.Length - _next);
        var last = _next + payload >= _frame.Length;
        _frame[.._headers].CopyTo(output);
        _frame.Slice(_next, payload).CopyTo(output[_headers..]);
        length = _headers + payload;
        var segment = output[..length];
        var ip = segment[_ipOffset..];
        var tcp = segment[(_ipv4 ? _ipOffset + (ip[0] & 0x0f) * 4 : _ipOffset + 40)..];
        var tcpLength = tcp.Length;
        // Sequence number of this segment; flags that belong to the first or the last segment only.
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + (uint)(_next - _headers);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        if (!last) tcp[13] &= unchecked((byte)~(TcpFin | TcpPsh));
        if (_index > 0) tcp[13] &= unchecked((byte)~TcpCwr);
        ulong sum;
        if (_ipv4)
        {
            var ipHeader = (ip[0] & 0x0f) * 4;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ipHeader + tcpLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(ip[4..]) + _index));
            ip[10] = ip[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Finish(InternetChecksum.Add(0, ip[..ipHeader])));
            sum = InternetChecksum.PseudoHeaderV4(ip, ProtocolTcp, tcpLength);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)tcpLength);
            sum = InternetChecksum.PseudoHeaderV6(ip, ProtocolTcp, tcpLength);
        }
        tcp[16] = tcp[17] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(sum, tcp)));
        _next += payload;
        _index++;
        _done = last;
        return true;
    }

    /// <summary>
    /// Completes a NEEDS_CSUM frame in place: the field at ChecksumStart + ChecksumOffset holds the pseudo-header sum,
    /// so the ones'-complement sum from ChecksumStart to the end, complemented, is the checksum (UDP's 0 is sent as FFFF).
    /// </summary>
    public static void CompleteChecksum(Span<byte> frame, VirtioNetHeader header)
    {
        int start = header.ChecksumStart, at = header.ChecksumStart + header.ChecksumOffset;
        if (start >= frame.Length || at + 2 > frame.Length) return;
        var checksum = InternetChecksum.Finish(InternetChecksum.Add(0, frame[start..]));
        if (checksum == 0 && header.ChecksumOffset == 6) checksum = 0xffff; // UDP (RFC 768)
        BinaryPrimitives.WriteUInt16BigEndian(frame[at..], checksum);
    }
}
