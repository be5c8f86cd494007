namespace HilRig.Capture.Decoding.Coap;

/// <summary>
/// A Block1/Block2 option value (RFC 7959 §2.2): NUM | M | SZX, block size 2^(SZX+4).
/// <code>
///  0 1 2 3 4 5 6 7 (one-byte form; two and three bytes extend NUM)
/// +-+-+-+-+-+-+-+-+
/// |  NUM  |M| SZX |
/// +-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public readonly record struct CoapBlock(uint Number, bool More, int SizeExponent)
{
    public int Size => 1 << (SizeExponent + 4);

    public static CoapBlock FromValue(uint value, long offset)
    {
        var szx = (int)(value & 7);
        // SZX 7 is reserved (RFC 7959 §2.2) except as BERT on reliable transports, which UDP is not.
        if (szx == 7) throw new ProtocolViolationException("coap", "block option SZX 7 is reserved", offset);
        return new CoapBlock(value >> 4, (value & 8) != 0, szx);
    }

    public override string ToString() => $"{Number}/{(More ? 1 : 0)}/{Size}";
}
