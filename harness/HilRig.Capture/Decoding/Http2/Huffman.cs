using System.Text;

namespace HilRig.Capture.Decoding.Http2;

/// <summary>
/// Decodes HPACK's static Huffman code (RFC 7541 §5.2, Appendix B) with a binary tree built once from the
/// code table: simple and fast enough for header strings.
/// </summary>
public static class Huffman
{
    // Node i has children _tree[2i] (bit 0) and _tree[2i+1] (bit 1); a value ≥ 0 is a child node index,
    // a negative value −(symbol+1) is a leaf.
    private static readonly int[] Tree = Build();

    private static int[] Build()
    {
        var tree = new List<int> { 0, 0 };
        var nodes = 1;
        for (var symbol = 0; symbol <= 256; symbol++)
        {
            var code = HpackTables.Codes[symbol];
            var length = HpackTables.Lengths[symbol];
            var node = 0;
            for (var bit = length - 1; bit >= 0; bit--)
            {
                var slot = 2 * node + (int)((code >> bit) & 1);
                if (bit == 0)
                {
                    tree[slot] = -(symbol + 1);
                    break;
                }
                if (tree[slot] == 0)
                {
                    tree[slot] = nodes++;
                    tree.Add(0);
                    tree.Add(0);
                }
                node = tree[slot];
            }
        }
        return tree.ToArray();
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/>. Throws for the EOS symbol inside the string and for padding that is
    /// longer than 7 bits or not the most significant bits of EOS (all ones), as §5.2 requires.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> encoded, long offset)
    {
        Span<byte> small = stackalloc byte[256];
        var output = encoded.Length * 8 / 5 + 1 <= small.Length ? small : new byte[encoded.Length * 8 / 5 + 1];
        var count = 0;
        var node = 0;
        var bitsSinceSymbol = 0;
        var allOnes = true;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            for (var bit = 7; bit >= 0; bit--)
            {
                var one = (b >> bit) & 1;
                var next = Tree[2 * node + one];
                bitsSinceSymbol++;
                allOnes &= one == 1;
                if (next < 0)
                {
                    var symbol = -next - 1;
                    if (symbol == 256) throw new HpackException("Huffman string contains the EOS symbol", offset + i);
                    output[count++] = (byte)symbol;
                    node = 0;
                    bitsSinceSymbol = 0;
                    allOnes = true;
                }
                else if (next == 0)
                    throw new HpackException("invalid Huffman code", offset + i);
                else node = next;
            }
        }
        if (bitsSinceSymbol > 7) throw new HpackException($"Huffman padding of {bitsSinceSymbol} bits is longer than 7", offset + encoded.Length - 1);
        if (!allOnes) throw new HpackException("Huffman padding is not a prefix of EOS (all ones)", offset + encoded.Length - 1);
        return Encoding.Latin1.GetString(output[..count]);
    }

    /// <summary>Encodes with the static code; used by tests and by SimNet-side tooling that writes HTTP/2.</summary>
    public static byte[] Encode(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var bits = 0L;
        foreach (var b in bytes) bits += HpackTables.Lengths[b];
        var output = new byte[(bits + 7) / 8];
        ulong acc = 0;
        var accBits = 0;
        var pos = 0;
        foreach (var b in bytes)
        {
            acc = (acc << HpackTables.Lengths[b]) | HpackTables.Codes[b];
            accBits += HpackTables.Lengths[b];
            while (accBits >= 8)
            {
                output[pos++] = (byte)(acc >> (accBits - 8));
                accBits -= 8;
            }
        }
        if (accBits > 0) output[pos] = (byte)((acc << (8 - accBits)) | (0xFFu >> accBits));
        return output;
    }
}
