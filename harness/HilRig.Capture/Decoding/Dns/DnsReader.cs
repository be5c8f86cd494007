using System.Buffers.Binary;
using System.Text;

namespace HilRig.Capture.Decoding.Dns;

/// <summary>
/// Decodes DNS and mDNS messages (RFC 1035 §4.1, RFC 6762 §18).
/// <code>
///   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                      ID                       |
/// |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
/// |                    QDCOUNT                    |
/// |                    ANCOUNT                    |
/// |                    NSCOUNT                    |
/// |                    ARCOUNT                    |
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// </code>
/// Names are label sequences ending in a zero byte or a compression pointer (top two bits 11, §4.1.4).
/// </summary>
public static class DnsReader
{
    public const int HeaderLength = 12;
    private const int MaxNameLength = 255;
    private const int MaxPointerJumps = 64;

    /// <summary>False if the datagram is shorter than the header; throws with the offset on every format error.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out DnsMessage? message)
    {
        message = null;
        if (data.Length < HeaderLength) return false;
        var id = BinaryPrimitives.ReadUInt16BigEndian(data);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        var qd = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        var an = BinaryPrimitives.ReadUInt16BigEndian(data[6..]);
        var ns = BinaryPrimitives.ReadUInt16BigEndian(data[8..]);
        var ar = BinaryPrimitives.ReadUInt16BigEndian(data[10..]);
        var pos = HeaderLength;
        // Every question needs at least 5 bytes, every record 11: reject counts the datagram cannot hold
        // before allocating anything for them.
        if (qd * 5L + (an + ns + ar) * 11L > data.Length - HeaderLength)
            throw new ProtocolViolationException("dns", $"counts (qd {qd}, an {an}, ns {ns}, ar {ar}) cannot fit in {data.Length} bytes", 4);
        var questions = new List<DnsQuestion>(qd);
        for (var i = 0; i < qd; i++)
        {
            var name = ReadName(data, ref pos);
            Need(data, pos, 4, "question type and class");
            var type = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            pos += 4;
            questions.Add(new DnsQuestion(name, type, (ushort)(cls & 0x7FFF), (cls & 0x8000) != 0));
        }
        var answers = ReadRecords(data, an, ref pos);
        var authorities = ReadRecords(data, ns, ref pos);
        var additionals = ReadRecords(data, ar, ref pos);
        message = new DnsMessage { Id = id, Flags = flags, Questions = questions, Answers = answers, Authorities = authorities, Additionals = additionals };
        return true;
    }

    private static List<DnsRecord> ReadRecords(ReadOnlySpan<byte> data, int count, ref int pos)
    {
        var list = new List<DnsRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var name = ReadName(data, ref pos);
            Need(data, pos, 10, "record header");
            var type = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 4)..]);
            var rdlength = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 8)..]);
            pos += 10;
            Need(data, pos, rdlength, $"RDATA of {rdlength} bytes");
            var rdata = ReadRData(data, type, pos, rdlength);
            pos += rdlength;
            list.Add(new DnsRecord(name, type, (ushort)(cls & 0x7FFF), (cls & 0x8000) != 0, ttl, rdata));
        }
        return list;
    }

    private static string ReadRData(ReadOnlySpan<byte> data, ushort type, int start, int length)
    {
        var rdata = data.Slice(start, length);
        switch ((DnsType)type)
        {
            case DnsType.A when length == 4:
                return IpAddress.FromV4(rdata).ToString();
            case DnsType.AAAA when length == 16:
                return IpAddress.FromV6(rdata).ToString();
            case DnsType.PTR or DnsType.CNAME or DnsType.NS:
            {
                var p = start;
                var name = ReadName(data, ref p);
                return name;
            }
            case DnsType.SRV when length >= 7:
            {
                var p = start + 6;
                var target = ReadName(data, ref p);
                return $"{BinaryPrimitives.ReadUInt16BigEndian(rdata)} {BinaryPrimitives.ReadUInt16BigEndian(rdata[2..])} {BinaryPrimitives.ReadUInt16BigEndian(rdata[4..])} {target}";
            }
            case DnsType.TXT:
            {
                var parts = new List<string>();
                var p = 0;
                while (p < rdata.Length)
                {
                    var l = rdata[p];
                    if (p + 1 + l > rdata.Length) throw new ProtocolViolationException("dns", $"TXT string of {l} bytes overruns its RDATA", start + p);
                    parts.Add(Encoding.UTF8.GetString(rdata.Slice(p + 1, l)));
                    p += 1 + l;
                }
                return string.Join(" ", parts.Select(s => "\"" + s + "\""));
            }
            default:
                return Convert.ToHexString(rdata).ToLowerInvariant();
        }
    }

    /// <summary>Reads a possibly compressed name at <paramref name="pos"/>, advancing past it (not past a pointer's target).</summary>
    public static string ReadName(ReadOnlySpan<byte> data, ref int pos)
    {
        var sb = new StringBuilder();
        var p = pos;
        var jumped = false;
        var jumps = 0;
        while (true)
        {
            Need(data, p, 1, "name label");
            var len = data[p];
            if (len == 0)
            {
                p++;
                break;
            }
            switch (len & 0xC0)
            {
                case 0xC0:
                    Need(data, p, 2, "compression pointer");
                    var target = BinaryPrimitives.ReadUInt16BigEndian(data[p..]) & 0x3FFF;
                    if (++jumps > MaxPointerJumps) throw new ProtocolViolationException("dns", "compression pointers loop", p);
                    if (target >= data.Length) throw new ProtocolViolationException("dns", $"compression pointer to {target} is past the message end", p);
                    if (!jumped) pos = p + 2;
                    jumped = true;
                    p = target;
                    continue;
                case 0x00:
                    Need(data, p + 1, len, "label");
                    if (sb.Length > 0) sb.Append('.');
                    foreach (var c in data.Slice(p + 1, len))
                        sb.Append(c is >= 0x21 and < 0x7F && c != (byte)'.' && c != (byte)'\\' ? (char)c : c == (byte)' ' ? ' ' : $"\\{c:000}");
                    if (sb.Length > MaxNameLength * 4) throw new ProtocolViolationException("dns", "name longer than 255 bytes", p);
                    p += 1 + len;
                    break;
                default:
                    throw new ProtocolViolationException("dns", $"label type 0x{len & 0xC0:x2} is reserved", p);
            }
        }
        if (!jumped) pos = p;
        return sb.Length == 0 ? "<Root>" : sb.ToString();
    }

    private static void Need(ReadOnlySpan<byte> data, int pos, int count, string what)
    {
        if (pos + count > data.Length)
            throw new ProtocolViolationException("dns", $"{what} runs past the end of the message ({data.Length} bytes)", pos);
    }
}
