using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Coap;

/// <summary>
/// Decodes CoAP over UDP (RFC 7252 §3) in stages: fixed header, token, options, payload.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |Ver| T |  TKL  |      Code     |          Message ID           |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |   Token (if any, TKL bytes) ...
/// |   Options (if any) ...
/// |1 1 1 1 1 1 1 1|    Payload (if any) ...
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// Option (§3.1):
/// <code>
/// | Option Delta (4) | Option Length (4) |
/// | Option Delta (extended) 0-2 bytes    |
/// | Option Length (extended) 0-2 bytes   |
/// | Option Value 0 or more bytes         |
/// </code>
/// Nibble 13: one extra byte (value − 13); 14: two extra bytes (value − 269); 15: reserved (only as the 0xFF marker).
/// </summary>
public static class CoapReader
{
    public const int HeaderLength = 4;
    public const byte PayloadMarker = 0xFF;
    private const int ExtendedOneByte = 13;
    private const int ExtendedTwoBytes = 14;
    private const int Reserved = 15;

    /// <summary>
    /// Decodes one datagram. Returns false when <paramref name="datagram"/> is shorter than the header
    /// and token it announces (a snap-truncated capture); throws <see cref="ProtocolViolationException"/>
    /// with the byte offset for every RFC 7252 §3 format error.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out CoapMessage? message)
    {
        message = null;
        if (datagram.Length < HeaderLength) return false;
        var version = datagram[0] >> 6;
        if (version != 1) throw Violation($"version {version} is not 1", 0);
        var type = (CoapType)((datagram[0] >> 4) & 3);
        var tkl = datagram[0] & 0x0F;
        // §3: "Lengths 9-15 are reserved, MUST NOT be sent, and MUST be processed as a message format error."
        if (tkl > 8) throw Violation($"token length {tkl} is reserved (9-15)", 0);
        var code = datagram[1];
        var mid = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
        if (datagram.Length < HeaderLength + tkl) return false;
        var token = datagram.Slice(HeaderLength, tkl).ToArray();

        // §4.1: an Empty message (0.00) MUST NOT contain a token, options or payload.
        if (code == 0 && (tkl != 0 || datagram.Length > HeaderLength))
            throw Violation("an Empty message (code 0.00) carries bytes after its header", HeaderLength);

        var pos = HeaderLength + tkl;
        var options = new List<CoapOption>();
        var number = 0;
        while (pos < datagram.Length)
        {
            var b = datagram[pos];
            if (b == PayloadMarker)
            {
                // §3: "The presence of a marker followed by a zero-length payload MUST be processed as a message format error."
                if (pos + 1 == datagram.Length) throw Violation("payload marker 0xFF with an empty payload", pos);
                pos++;
                break;
            }
            var optionStart = pos;
            pos++;
            var delta = ReadExtended(datagram, b >> 4, ref pos, "delta", optionStart);
            var length = ReadExtended(datagram, b & 0x0F, ref pos, "length", optionStart);
            number += delta;
            if (number > ushort.MaxValue) throw Violation($"option number {number} exceeds 65535", optionStart);
            if (pos + length > datagram.Length)
                throw Violation($"option {number} claims {length} bytes but {datagram.Length - pos} remain", optionStart);
            options.Add(new CoapOption(number, datagram.Slice(pos, length).ToArray()));
            pos += length;
        }
        message = new CoapMessage
        {
            Type = type,
            Code = code,
            MessageId = mid,
            Token = token,
            Options = options,
            Payload = pos < datagram.Length ? datagram[pos..].ToArray() : ReadOnlyMemory<byte>.Empty,
        };
        foreach (var o in options)
            if (o.Number is CoapOptionNumber.Block1 or CoapOptionNumber.Block2)
            {
                if (o.Value.Length > 3) throw Violation($"block option {o.Number} is {o.Value.Length} bytes long (at most 3)", HeaderLength + tkl);
                CoapBlock.FromValue(o.AsUInt(), HeaderLength + tkl);
            }
        return true;
    }

    private static int ReadExtended(ReadOnlySpan<byte> d, int nibble, ref int pos, string what, int optionStart)
    {
        switch (nibble)
        {
            case ExtendedOneByte:
                if (pos + 1 > d.Length) throw Violation($"option {what} needs an extension byte past the end", optionStart);
                return d[pos++] + 13;
            case ExtendedTwoBytes:
                if (pos + 2 > d.Length) throw Violation($"option {what} needs two extension bytes past the end", optionStart);
                var v = BinaryPrimitives.ReadUInt16BigEndian(d[pos..]) + 269;
                pos += 2;
                return v;
            case Reserved:
                throw Violation($"option {what} nibble 15 is reserved", optionStart);
            default:
                return nibble;
        }
    }

    private static ProtocolViolationException Violation(string message, long offset) => new("coap", message, offset);
}
