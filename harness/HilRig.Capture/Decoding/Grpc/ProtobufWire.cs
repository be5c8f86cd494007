using System.Text;

namespace HilRig.Capture.Decoding.Grpc;

/// <summary>
/// Describes protobuf bytes from the wire format alone (field number, wire type, value), for messages
/// whose method path is not in the registry. Protobuf encoding: each field is a varint key
/// (field_number &lt;&lt; 3 | wire_type) then VARINT(0), I64(1), LEN(2) or I32(5).
/// </summary>
public static class ProtobufWire
{
    /// <summary>A compact description like <c>1:"hello" 2:42</c>; throws on bytes that are not protobuf.</summary>
    public static string Describe(ReadOnlySpan<byte> data, int depth = 0)
    {
        var sb = new StringBuilder();
        var pos = 0;
        while (pos < data.Length)
        {
            var start = pos;
            var key = ReadVarint(data, ref pos);
            var field = key >> 3;
            var wire = (int)(key & 7);
            if (field == 0) throw new ProtocolViolationException("protobuf", "field number 0", start);
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(field).Append(':');
            switch (wire)
            {
                case 0:
                    sb.Append(ReadVarint(data, ref pos));
                    break;
                case 1:
                    Need(data, pos, 8, start);
                    sb.Append("0x").Append(Convert.ToHexString(data.Slice(pos, 8)));
                    pos += 8;
                    break;
                case 5:
                    Need(data, pos, 4, start);
                    sb.Append("0x").Append(Convert.ToHexString(data.Slice(pos, 4)));
                    pos += 4;
                    break;
                case 2:
                    var len = ReadVarint(data, ref pos);
                    if (len > (ulong)(data.Length - pos)) throw new ProtocolViolationException("protobuf", $"field {field} length {len} runs past the end", start);
                    var bytes = data.Slice(pos, (int)len);
                    pos += (int)len;
                    sb.Append(Render(bytes, depth));
                    break;
                default:
                    throw new ProtocolViolationException("protobuf", $"field {field} has wire type {wire}", start);
            }
        }
        return sb.ToString();
    }

    private static string Render(ReadOnlySpan<byte> bytes, int depth)
    {
        if (IsPrintable(bytes)) return "\"" + Encoding.UTF8.GetString(bytes) + "\"";
        if (depth < 4 && bytes.Length > 0)
        {
            try { return "{" + Describe(bytes, depth + 1) + "}"; }
            catch (ProtocolViolationException) { }
        }
        return "0x" + Convert.ToHexString(bytes).ToLowerInvariant();
    }

    private static bool IsPrintable(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return true;
        foreach (var b in bytes) if (b < 0x20 || b > 0x7E) return false;
        return true;
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> data, ref int pos)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new ProtocolViolationException("protobuf", "varint runs past the end", pos);
            var b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new ProtocolViolationException("protobuf", "varint longer than 10 bytes", pos);
    }

    private static void Need(ReadOnlySpan<byte> data, int pos, int count, int start)
    {
        if (pos + count > data.Length) throw new ProtocolViolationException("protobuf", "fixed-width field runs past the end", start);
    }
}
