using System.Text;

namespace HilRig.Capture.Decoding.Http2;

/// <summary>One decoded header field.</summary>
public readonly record struct HeaderField(string Name, string Value)
{
    public override string ToString() => $"{Name}: {Value}";
}

/// <summary>
/// HPACK header block decoding (RFC 7541) with the dynamic table of one direction of one connection.
/// </summary>
public sealed class HpackDecoder
{
    private const int EntryOverhead = 32; // §4.1
    private readonly LinkedList<HeaderField> _dynamic = new(); // newest first
    private int _size;
    private int _maxSize;

    public HpackDecoder(int maxTableSize = 4096)
    {
        _maxSize = maxTableSize;
        SettingsMaxSize = maxTableSize;
    }

    /// <summary>The limit the decoding side announced in SETTINGS_HEADER_TABLE_SIZE; size updates may not exceed it.</summary>
    public int SettingsMaxSize { get; set; }

    public int DynamicTableSize => _size;

    /*
     * §6 representations, by their first bits:
     *   1xxxxxxx  Indexed Header Field (7-bit index)
     *   01xxxxxx  Literal with Incremental Indexing (6-bit name index, 0 = literal name)
     *   001xxxxx  Dynamic Table Size Update (5-bit size)
     *   0001xxxx  Literal Never Indexed (4-bit name index)
     *   0000xxxx  Literal without Indexing (4-bit name index)
     */
    /// <summary>Decodes a complete header block (HEADERS plus CONTINUATIONs) into <paramref name="fields"/>.</summary>
    public void Decode(ReadOnlySpan<byte> block, List<HeaderField> fields)
    {
        var pos = 0;
        var sawField = false;
        while (pos < block.Length)
        {
            var b = block[pos];
            var start = pos;
            if ((b & 0x80) != 0)
            {
                var index = ReadInteger(block, ref pos, 7);
                fields.Add(Lookup(index, start));
                sawField = true;
            }
            else if ((b & 0x40) != 0)
            {
                var field = ReadLiteral(block, ref pos, 6, start);
                fields.Add(field);
                Insert(field);
                sawField = true;
            }
            else if ((b & 0x20) != 0)
            {
                // §4.2: a size update MUST occur at the beginning of the first header block after the change.
                if (sawField) throw new HpackException("dynamic table size update after a header field", start);
                var size = ReadInteger(block, ref pos, 5);
                if (size > Math.Max(SettingsMaxSize, 4096)) throw new HpackException($"dynamic table size update to {size} exceeds the limit {SettingsMaxSize}", start);
                _maxSize = size;
                Evict(0);
            }
            else
            {
                fields.Add(ReadLiteral(block, ref pos, 4, start));
                sawField = true;
            }
        }
    }

    private HeaderField ReadLiteral(ReadOnlySpan<byte> block, ref int pos, int prefix, int start)
    {
        var index = ReadInteger(block, ref pos, prefix);
        var name = index == 0 ? ReadString(block, ref pos) : Lookup(index, start).Name;
        var value = ReadString(block, ref pos);
        return new HeaderField(name, value);
    }

    private HeaderField Lookup(int index, int offset)
    {
        if (index == 0) throw new HpackException("header index 0", offset);
        if (index < HpackTables.Static.Length)
        {
            var (n, v) = HpackTables.Static[index];
            return new HeaderField(n, v);
        }
        var dyn = index - HpackTables.Static.Length;
        if (dyn >= _dynamic.Count)
            throw new HpackException($"header index {index} is beyond the static table and the {_dynamic.Count} dynamic entries", offset);
        var node = _dynamic.First!;
        for (var i = 0; i < dyn; i++) node = node.Next!;
        return node.Value;
    }

    private void Insert(HeaderField field)
    {
        var size = EntrySize(field);
        // §4.4: an entry larger than the table empties it and is not added.
        Evict(size);
        if (size > _maxSize) return;
        _dynamic.AddFirst(field);
        _size += size;
    }

    /// <summary>§4.1: name and value in octets plus 32. Strings are decoded one char per octet (Latin-1), so Length is the octet count.</summary>
    private static int EntrySize(HeaderField field) => field.Name.Length + field.Value.Length + EntryOverhead;

    private void Evict(int room)
    {
        while (_dynamic.Count > 0 && _size + room > _maxSize)
        {
            var last = _dynamic.Last!.Value;
            _size -= EntrySize(last);
            _dynamic.RemoveLast();
        }
    }

    /*
     * §5.1 integer: a prefix of N bits; if all ones, continuation bytes of 7 bits each, least significant first.
     */
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int pos, int prefixBits)
    {
        var mask = (1 << prefixBits) - 1;
        var value = block[pos] & mask;
        var start = pos;
        pos++;
        if (value < mask) return value;
        var shift = 0;
        while (true)
        {
            if (pos >= block.Length) throw new HpackException("integer runs past the end of the header block", start);
            var b = block[pos++];
            if (shift > 21) throw new HpackException("integer is larger than 2^28", start);
            value += (b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0) return value;
        }
    }

    /*
     * §5.2 string: | H | Length (7+) | then Length octets, Huffman-coded when H is set.
     */
    private static string ReadString(ReadOnlySpan<byte> block, ref int pos)
    {
        if (pos >= block.Length) throw new HpackException("string literal missing at the end of the header block", pos);
        var huffman = (block[pos] & 0x80) != 0;
        var start = pos;
        var length = ReadInteger(block, ref pos, 7);
        if (pos + length > block.Length)
            throw new HpackException($"string literal of {length} bytes runs past the end of the header block", start);
        var raw = block.Slice(pos, length);
        pos += length;
        return huffman ? Huffman.Decode(raw, pos - length) : Encoding.Latin1.GetString(raw);
    }
}
