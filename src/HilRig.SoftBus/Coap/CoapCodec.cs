using System.Buffers.Binary;

namespace HilRig.SoftBus.Coap;

/// <summary>
/// The RFC 7252 §3 wire format. Decoding rejects every format error the RFC names — version ≠ 1, TKL 9–15, an Empty
/// message with bytes after its header, option nibble 15 outside the payload marker, options running past the end,
/// a payload marker with no payload — with a <see cref="CoapFormatException"/> naming the byte offset.
/// <code>
/// |Ver| T |  TKL  |      Code     |          Message ID           |
/// |   Token (TKL bytes) ...  |   Options ...  |0xFF|  Payload ...
/// </code>
/// Option header: delta nibble | length nibble; 13 → one more byte (value − 13), 14 → two more bytes (value − 269).
/// </summary>
public static class CoapCodec
{
    public const int HeaderLength = 4;
    public const byte PayloadMarker = 0xFF;

    /// <summary>The header fields of a datagram too broken to decode, when the first four bytes can be read (a CON is then rejected with a RST of its id).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> datagram, out CoapType type, out ushort messageId)
    {
        type = default;
        messageId = 0;
        if (datagram.Length < HeaderLength || datagram[0] >> 6 != 1) return false;
        type = (CoapType)((datagram[0] >> 4) & 3);
        messageId = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        return true;
    }

    public static CoapMessage Decode(ReadOnlySpan<byte> d)
    {
        if (d.Length < HeaderLength) throw new CoapFormatException($"{d.Length} bytes is shorter than the 4-byte header", 0);
        if (d[0] >> 6 != 1) throw new CoapFormatException($"version {d[0] >> 6} is not 1", 0);
        var tkl = d[0] & 0x0F;
        if (tkl > 8) throw new CoapFormatException($"token length {tkl} is reserved (9-15)", 0);
        var code = new CoapCode(d[1]);
        if (d.Length < HeaderLength + tkl) throw new CoapFormatException($"token of {tkl} bytes runs past the end", HeaderLength);
        if (code.IsEmpty && d.Length > HeaderLength)
            throw new CoapFormatException("an Empty message (0.00) carries bytes after its header", HeaderLength);
        // §12.1: class 1, 6 and 7 are reserved.
        if (code.Class is 1 or 6 or 7) throw new CoapFormatException($"code class {code.Class} is reserved", 1);
        var message = new CoapMessage
        {
            Type = (CoapType)((d[0] >> 4) & 3),
            Code = code,
            MessageId = BinaryPrimitives.ReadUInt16BigEndian(d[2..]),
            Token = d.Slice(HeaderLength, tkl).ToArray(),
        };
        var pos = HeaderLength + tkl;
        var number = 0;
        while (pos < d.Length)
        {
            if (d[pos] == PayloadMarker)
            {
                if (pos + 1 == d.Length) throw new CoapFormatException("payload marker 0xFF with an empty payload", pos);
                message.Payload = d[(pos + 1)..].ToArray();
                break;
            }
            var start = pos++;
            var delta = Extended(d, d[start] >> 4, ref pos, "delta", start);
            var length = Extended(d, d[start] & 0x0F, ref pos, "length", start);
            number += delta;
            if (number > ushort.MaxValue) throw new CoapFormatException($"option number {number} exceeds 65535", start);
            if (pos + length > d.Length) throw new CoapFormatException($"option {number} claims {length} bytes but {d.Length - pos} remain", start);
            message.Add(new CoapOption(number, d.Slice(pos, length).ToArray()));
            pos += length;
        }
        return message;
    }

    private static int Extended(ReadOnlySpan<byte> d, int nibble, ref int pos, string what, int start)
    {
        switch (nibble)
        {
            case 13:
                if (pos + 1 > d.Length) throw new CoapFormatException($"option {what} extension byte runs past the end", start);
                return d[pos++] + 13;
            case 14:
                if (pos + 2 > d.Length) throw new CoapFormatException($"option {what} extension bytes run past the end", start);
                var v = BinaryPrimitives.ReadUInt16BigEndian(d[pos..]) + 269;
                pos += 2;
                return v;
            case 15:
                throw new CoapFormatException($"option {what} nibble 15 is reserved", start);
            default:
                return nibble;
        }
    }

    public static int EncodedLength(CoapMessage m)
    {
        var n = HeaderLength + m.Token.Length;
        var previous = 0;
        foreach (var o in m.Options)
        {
            n += 1 + ExtensionLength(o.Number - previous) + ExtensionLength(o.Value.Length) + o.Value.Length;
            previous = o.Number;
        }
        return n + (m.Payload.Length > 0 ? 1 + m.Payload.Length : 0);
    }

    public static byte[] Encode(CoapMessage m)
    {
        var buffer = new byte[EncodedLength(m)];
        Encode(m, buffer);
        return buffer;
    }

    /// <summary>Writes <paramref name="m"/> into <paramref name="buffer"/> (at least <see cref="EncodedLength"/> bytes); returns the bytes written.</summary>
    public static int Encode(CoapMessage m, Span<byte> buffer)
    {
        if (m.Token.Length > 8) throw new ArgumentException($"a token is at most 8 bytes, not {m.Token.Length}");
        if (m.Code.IsEmpty && (m.Token.Length > 0 || m.Options.Count > 0 || m.Payload.Length > 0))
            throw new ArgumentException("an Empty message carries no token, options or payload");
        buffer[0] = (byte)(1 << 6 | (int)m.Type << 4 | m.Token.Length);
        buffer[1] = m.Code.Value;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], m.MessageId);
        var pos = HeaderLength;
        m.Token.CopyTo(buffer[pos..]);
        pos += m.Token.Length;
        var previous = 0;
        foreach (var o in m.Options)
        {
            var delta = o.Number - previous;
            previous = o.Number;
            var head = pos++;
            buffer[head] = (byte)(Nibble(delta) << 4 | Nibble(o.Value.Length));
            WriteExtension(buffer, ref pos, delta);
            WriteExtension(buffer, ref pos, o.Value.Length);
            o.Value.CopyTo(buffer[pos..]);
            pos += o.Value.Length;
        }
        if (m.Payload.Length > 0)
        {
            buffer[pos++] = PayloadMarker;
            m.Payload.Span.CopyTo(buffer[pos..]);
            pos += m.Payload.Length;
        }
        return pos;
    }

    private static int Nibble(int v) => v < 13 ? v : v < 269 ? 13 : 14;

    private static int ExtensionLength(int v) => v < 13 ? 0 : v < 269 ? 1 : 2;

    private static void WriteExtension(Span<byte> buffer, ref int pos, int v)
    {
        if (v < 13) return;
        if (v < 269) buffer[pos++] = (byte)(v - 13);
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(buffer[pos..], (ushort)(v - 269));
            pos += 2;
        }
    }
}
