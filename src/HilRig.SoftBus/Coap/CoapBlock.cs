namespace HilRig.SoftBus.Coap;

/// <summary>
/// A Block1/Block2 value (RFC 7959 §2.2): NUM | M | SZX, block size 2^(SZX+4) from 16 to 1024 bytes. SZX 7 (BERT)
/// belongs to reliable transports only.
/// </summary>
public readonly record struct CoapBlock(uint Number, bool More, int SizeExponent)
{
    /// <summary>The largest block number the 3-byte form holds (20 bits).</summary>
    public const uint MaxNumber = (1u << 20) - 1;

    public int Size => 1 << (SizeExponent + 4);

    public int Offset => (int)Number * Size;

    public static bool TryParse(uint value, out CoapBlock block)
    {
        block = new CoapBlock(value >> 4, (value & 8) != 0, (int)(value & 7));
        return block.SizeExponent != 7;
    }

    public uint ToValue() => Number << 4 | (More ? 8u : 0u) | (uint)SizeExponent;

    /// <summary>The exponent of the largest block no bigger than <paramref name="size"/> (16–1024).</summary>
    public static int ExponentFor(int size)
    {
        var szx = 0;
        while (szx < 6 && 1 << (szx + 5) <= size) szx++;
        return szx;
    }

    public override string ToString() => $"{Number}/{(More ? 1 : 0)}/{Size}";
}
