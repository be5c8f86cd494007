using System.Buffers.Binary;
using System.Text;

namespace HilRig.SoftBus.Router;

/// <summary>The 12-byte DNS header: id, flags and the four section counts.</summary>
internal readonly record struct DnsHeader(ushort Id, ushort Flags, int Questions, int Answers, int Authorities, int Additionals)
{
    public bool IsResponse => (Flags & 0x8000) != 0;

    public int Records => Answers + Authorities + Additionals;
}

/// <summary>One resource record as the name service needs it: owner name, type, class, TTL and the raw RDATA.</summary>
internal readonly record struct DnsRecord(string Name, ushort Type, ushort Class, uint Ttl, int RdataOffset, int RdataLength);

/// <summary>
/// The few pieces of RFC 1035 (and RFC 6762's top class bit) the AllJoyn name service rides on: names (labels, with
/// compression pointers when reading), questions, records and TXT strings. Reading never trusts a length or a pointer:
/// every error names its byte offset, pointers may only go backwards, and a name is at most 255 bytes.
/// </summary>
internal static class DnsWire
{
    public const ushort TypeA = 1, TypePtr = 12, TypeTxt = 16, TypeSrv = 33;
    public const int HeaderLength = 12;
    private const int MaxNameLength = 255;

    // ---------------------------------------------------------------- writing

    public static void WriteName(List<byte> o, string name)
    {
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var b = Encoding.UTF8.GetBytes(label);
            if (b.Length is 0 or > 63) throw new ArgumentException($"DNS label '{label}' of {name} is {b.Length} bytes (1-63 allowed)");
            o.Add((byte)b.Length);
            o.AddRange(b);
        }
        o.Add(0);
    }

    public static void WriteU16(List<byte> o, int v)
    {
        o.Add((byte)(v >> 8));
        o.Add((byte)v);
    }

    public static void WriteU32(List<byte> o, uint v)
    {
        WriteU16(o, (int)(v >> 16));
        WriteU16(o, (int)(v & 0xFFFF));
    }

    public static void WriteHeader(List<byte> o, ushort id, ushort flags, int qd, int an, int ns, int ar)
    {
        WriteU16(o, id);
        WriteU16(o, flags);
        WriteU16(o, qd);
        WriteU16(o, an);
        WriteU16(o, ns);
        WriteU16(o, ar);
    }

    /// <summary>Writes a record; <paramref name="rdata"/> writes the RDATA, whose length is patched in afterwards.</summary>
    public static void WriteRecord(List<byte> o, string name, ushort type, ushort cls, uint ttl, Action<List<byte>> rdata)
    {
        WriteName(o, name);
        WriteU16(o, type);
        WriteU16(o, cls);
        WriteU32(o, ttl);
        var at = o.Count;
        WriteU16(o, 0);
        rdata(o);
        var len = o.Count - at - 2;
        o[at] = (byte)(len >> 8);
        o[at + 1] = (byte)len;
    }

    /// <summary>TXT RDATA: each "key=value" as a length-prefixed string (RFC 6763 §6).</summary>
    public static void WriteTxt(List<byte> o, IEnumerable<string> entries)
    {
        foreach (var e in entries)
        {
            var b = Encoding.UTF8.GetBytes(e);
            if (b.Length > 255) throw new ArgumentException($"TXT entry '{e[..20]}…' is {b.Length} bytes (255 allowed)");
            o.Add((byte)b.Length);
            o.AddRange(b);
        }
    }

    // ---------------------------------------------------------------- reading

    /// <summary>
    /// The header, and the questions skipped over (their names and types handed to <paramref name="question"/>); counts
    /// the packet cannot hold (a question needs at least 5 bytes, a record 11) are refused before anything is read for them.
    /// </summary>
    public static DnsHeader ReadHeader(ReadOnlySpan<byte> data, out int pos, Action<string, ushort>? question = null)
    {
        Need(data, 0, HeaderLength, "DNS header");
        var h = new DnsHeader(U16(data, 0, "id"), U16(data, 2, "flags"), U16(data, 4, "question count"), U16(data, 6, "answer count"),
            U16(data, 8, "authority count"), U16(data, 10, "additional count"));
        if (h.Questions * 5L + h.Records * 11L > data.Length - HeaderLength)
            throw new NameServiceFormatException($"counts (qd {h.Questions}, an {h.Answers}, ns {h.Authorities}, ar {h.Additionals}) cannot fit in {data.Length} bytes", 4);
        pos = HeaderLength;
        for (var i = 0; i < h.Questions; i++)
        {
            var name = ReadName(data, ref pos);
            var type = U16(data, pos, "question type");
            U16(data, pos + 2, "question class");
            pos += 4;
            question?.Invoke(name, type);
        }
        return h;
    }

    public static ushort U16(ReadOnlySpan<byte> data, int pos, string what)
    {
        Need(data, pos, 2, what);
        return BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
    }

    public static void Need(ReadOnlySpan<byte> data, int pos, int count, string what)
    {
        if (pos < 0 || count < 0 || pos > data.Length - count)
            throw new NameServiceFormatException($"{what}: needs {count} bytes, {Math.Max(0, data.Length - pos)} left", pos);
    }

    /// <summary>Reads a name at <paramref name="pos"/>, following compression pointers (each must point before itself).</summary>
    public static string ReadName(ReadOnlySpan<byte> data, ref int pos)
    {
        var sb = new StringBuilder();
        var at = pos;
        var end = -1;
        var length = 0;
        while (true)
        {
            Need(data, at, 1, "name label length");
            var len = data[at];
            if (len == 0)
            {
                at++;
                break;
            }
            if ((len & 0xC0) == 0xC0)
            {
                Need(data, at, 2, "name compression pointer");
                var target = ((len & 0x3F) << 8) | data[at + 1];
                if (target >= at) throw new NameServiceFormatException($"compression pointer to {target} does not point backwards", at);
                if (end < 0) end = at + 2;
                at = target;
                continue;
            }
            if ((len & 0xC0) != 0) throw new NameServiceFormatException($"label length byte 0x{len:X2} uses reserved bits", at);
            Need(data, at + 1, len, "name label");
            length += len + 1;
            if (length > MaxNameLength) throw new NameServiceFormatException($"name longer than {MaxNameLength} bytes", at);
            if (sb.Length > 0) sb.Append('.');
            sb.Append(Encoding.UTF8.GetString(data.Slice(at + 1, len)));
            at += 1 + len;
        }
        pos = end >= 0 ? end : at;
        return sb.ToString();
    }

    public static List<DnsRecord> ReadRecords(ReadOnlySpan<byte> data, int count, ref int pos)
    {
        var list = new List<DnsRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var name = ReadName(data, ref pos);
            Need(data, pos, 10, "record type, class, TTL and length");
            var type = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            var cls = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            var ttl = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 4)..]);
            var len = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 8)..]);
            pos += 10;
            Need(data, pos, len, $"RDATA of {name}");
            list.Add(new DnsRecord(name, type, cls, ttl, pos, len));
            pos += len;
        }
        return list;
    }

    /// <summary>TXT RDATA as key → value ("key" alone gives an empty value); a string running past the RDATA is an error.</summary>
    public static Dictionary<string, string> ReadTxt(ReadOnlySpan<byte> data, DnsRecord r)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = r.RdataOffset;
        var end = r.RdataOffset + r.RdataLength;
        while (at < end)
        {
            var len = data[at];
            if (at + 1 + len > end) throw new NameServiceFormatException($"TXT string of {len} bytes runs past the record of {r.Name}", at);
            var s = Encoding.UTF8.GetString(data.Slice(at + 1, len));
            var eq = s.IndexOf('=');
            map[eq < 0 ? s : s[..eq]] = eq < 0 ? "" : s[(eq + 1)..];
            at += 1 + len;
        }
        return map;
    }
}
