using System.Buffers.Binary;
using System.Text;

namespace HilRig.SoftBus.Router;

/// <summary>
/// The part of AllJoyn's (D-Bus) message format the thin core's router link needs after BEGIN: little-endian header
/// <c>'l' type flags 1 bodyLength serial fieldsLength</c>, header fields (PATH o, INTERFACE s, MEMBER s, ERROR_NAME s,
/// REPLY_SERIAL u, DESTINATION s, SIGNATURE g), padding to 8, then a body of strings ('s') and uint32s ('u') only —
/// enough for BusHello, its reply and the link-timeout probes. Anything else is refused with the byte offset.
/// </summary>
public sealed record AllJoynMessage(AllJoynMessageType Type, uint Serial)
{
    public const int MaxMessage = 128 * 1024;

    public string? Path { get; init; }
    public string? Interface { get; init; }
    public string? Member { get; init; }
    public string? ErrorName { get; init; }
    public uint? ReplySerial { get; init; }
    public string? Destination { get; init; }
    public byte Flags { get; init; }

    /// <summary>Body values, each a string or a uint; the signature follows from them.</summary>
    public IReadOnlyList<object> Body { get; init; } = [];

    public string Signature => string.Concat(Body.Select(v => v is string ? 's' : 'u'));

    public static AllJoynMessage ProbeReq(uint serial) => new(AllJoynMessageType.Signal, serial) { Path = "/", Interface = "org.alljoyn.Daemon", Member = "ProbeReq" };

    public static AllJoynMessage ProbeAck(uint serial) => new(AllJoynMessageType.Signal, serial) { Path = "/", Interface = "org.alljoyn.Daemon", Member = "ProbeAck" };

    public bool Is(string iface, string member) => Interface == iface && Member == member;

    public byte[] Encode()
    {
        var body = new List<byte>();
        foreach (var v in Body) WriteValue(body, v);
        var fields = new List<byte>();
        void Field(byte code, char sig, object? value)
        {
            if (value is null) return;
            Pad(fields, 8);
            fields.Add(code);
            fields.AddRange([1, (byte)sig, 0]);
            if (sig == 'g') WriteSignature(fields, (string)value);
            else WriteValue(fields, value);
        }
        Field(1, 'o', Path);
        Field(2, 's', Interface);
        Field(3, 's', Member);
        Field(4, 's', ErrorName);
        Field(5, 'u', ReplySerial);
        Field(6, 's', Destination);
        if (Body.Count > 0) Field(8, 'g', Signature);
        var o = new List<byte> { (byte)'l', (byte)Type, Flags, 1 };
        AddU32(o, (uint)body.Count);
        AddU32(o, Serial);
        AddU32(o, (uint)fields.Count);
        o.AddRange(fields);
        Pad(o, 8);
        o.AddRange(body);
        return o.ToArray();
    }

    private static void Pad(List<byte> o, int to)
    {
        while (o.Count % to != 0) o.Add(0);
    }

    private static void AddU32(List<byte> o, uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        o.AddRange(b.ToArray());
    }

    private static void WriteValue(List<byte> o, object v)
    {
        Pad(o, 4);
        switch (v)
        {
            case uint u:
                AddU32(o, u);
                break;
            case string s:
                var b = Encoding.UTF8.GetBytes(s);
                AddU32(o, (uint)b.Length);
                o.AddRange(b);
                o.Add(0);
                break;
            default:
                throw new ArgumentException($"body value {v.GetType().Name} is not a string or a uint");
        }
    }

    private static void WriteSignature(List<byte> o, string s)
    {
        o.Add((byte)s.Length);
        o.AddRange(Encoding.ASCII.GetBytes(s));
        o.Add(0);
    }

    /// <summary>Reads one message from <paramref name="stream"/>; null at a clean end of stream.</summary>
    public static async Task<AllJoynMessage?> ReadAsync(Stream stream, CancellationToken cancellation)
    {
        var head = new byte[16];
        var got = await stream.ReadAtLeastAsync(head, 16, throwOnEndOfStream: false, cancellation);
        if (got == 0) return null;
        if (got < 16) throw new AllJoynFormatException("stream ended inside a message header", got);
        if (head[0] != 'l') throw new AllJoynFormatException($"endianness 0x{head[0]:X2} (only 'l' is spoken)", 0);
        var bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
        var fieldsLength = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(12));
        var fieldsPadded = (fieldsLength + 7) / 8 * 8;
        if (bodyLength + (long)fieldsPadded > MaxMessage) throw new AllJoynFormatException($"message of {bodyLength + fieldsPadded} bytes exceeds {MaxMessage}", 4);
        var rest = new byte[fieldsPadded + bodyLength];
        await stream.ReadExactlyAsync(rest, cancellation);
        var all = new byte[16 + rest.Length];
        head.CopyTo(all, 0);
        rest.CopyTo(all, 16);
        return Decode(all);
    }

    public static AllJoynMessage Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 16) throw new AllJoynFormatException("shorter than the 16-byte header", data.Length);
        if (data[0] != 'l') throw new AllJoynFormatException($"endianness 0x{data[0]:X2} (only 'l' is spoken)", 0);
        if (data[1] is < 1 or > 4) throw new AllJoynFormatException($"message type {data[1]}", 1);
        var bodyLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(data[4..]), int.MaxValue);
        var serial = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
        var fieldsLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(data[12..]), int.MaxValue);
        var fieldsEnd = 16L + fieldsLength;
        var bodyStart = (fieldsEnd + 7) / 8 * 8;
        if (bodyStart + bodyLength != data.Length) throw new AllJoynFormatException($"lengths say {bodyStart + bodyLength} bytes, the message has {data.Length}", 4);
        var m = new AllJoynMessage((AllJoynMessageType)data[1], serial) { Flags = data[2] };
        var pos = 16;
        var signature = "";
        while (pos < fieldsEnd)
        {
            pos = (pos + 7) / 8 * 8;
            if (pos + 4 > fieldsEnd) throw new AllJoynFormatException("header field runs past the field array", pos);
            var code = data[pos];
            if (data[pos + 1] != 1 || data[pos + 3] != 0) throw new AllJoynFormatException("header field signature is not one type", pos + 1);
            var sig = (char)data[pos + 2];
            var sigAt = pos + 2;
            pos += 4;
            object value = sig switch
            {
                'g' => ReadSignature(data, ref pos, (int)fieldsEnd),
                's' or 'o' or 'u' => ReadValue(data, ref pos, sig, (int)fieldsEnd),
                _ => throw new AllJoynFormatException($"header field type '{sig}'", sigAt),
            };
            // Each known field has one type (D-Bus spec, "Header Fields"); a field of another type is an error, not a cast.
            var expected = code switch { 1 => 'o', 2 or 3 or 4 or 6 or 7 => 's', 5 => 'u', 8 => 'g', _ => sig };
            if (sig != expected) throw new AllJoynFormatException($"header field {code} has type '{sig}', not '{expected}'", sigAt);
            m = code switch
            {
                1 => m with { Path = (string)value },
                2 => m with { Interface = (string)value },
                3 => m with { Member = (string)value },
                4 => m with { ErrorName = (string)value },
                5 => m with { ReplySerial = (uint)value },
                6 => m with { Destination = (string)value },
                _ => m, // SENDER, SIGNATURE (below) and the AllJoyn extensions: not needed here
            };
            if (code == 8) signature = (string)value;
        }
        pos = (int)bodyStart;
        var body = new List<object>();
        foreach (var c in signature)
        {
            if (c is not ('s' or 'u')) throw new AllJoynFormatException($"body type '{c}' (only s and u are spoken)", pos);
            body.Add(ReadValue(data, ref pos, c, data.Length));
        }
        return m with { Body = body };
    }

    private static string ReadSignature(ReadOnlySpan<byte> data, ref int pos, int end)
    {
        if (pos >= end) throw new AllJoynFormatException("signature runs past its end", pos);
        var len = data[pos];
        if (pos + 2 + len > end) throw new AllJoynFormatException("signature runs past its end", pos);
        var s = Encoding.ASCII.GetString(data.Slice(pos + 1, len));
        pos += 2 + len;
        return s;
    }

    private static object ReadValue(ReadOnlySpan<byte> data, ref int pos, char sig, int end)
    {
        pos = (pos + 3) / 4 * 4;
        if (pos + 4 > end) throw new AllJoynFormatException($"'{sig}' value runs past its end", pos);
        var u = BinaryPrimitives.ReadUInt32LittleEndian(data[pos..]);
        pos += 4;
        if (sig == 'u') return u;
        if (u > end - pos - 1) throw new AllJoynFormatException($"string of {u} bytes runs past its end", pos - 4);
        var s = Encoding.UTF8.GetString(data.Slice(pos, (int)u));
        if (data[pos + (int)u] != 0) throw new AllJoynFormatException("string not NUL-terminated", pos + (int)u);
        pos += (int)u + 1;
        return s;
    }
}
