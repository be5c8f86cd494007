using System.Text;

namespace HilRig.Update.Grpc;

/// <summary>
/// The percent-encoding of <c>grpc-message</c> (PROTOCOL-HTTP2.md, "Status-Message"): the UTF-8 bytes, with every
/// byte outside 0x20–0x7E and '%' itself written as %XX. <see cref="Uri.EscapeDataString"/> also escapes ':' and ' ',
/// which peers then show verbatim (platform-dotnet.md §4, gotcha 5).
/// </summary>
public static class GrpcMessageEncoding
{
    public static string Encode(string message)
    {
        var bytes = Encoding.UTF8.GetBytes(message);
        var needs = false;
        foreach (var b in bytes) if (b is < 0x20 or > 0x7E or (byte)'%') { needs = true; break; }
        if (!needs) return message;
        var sb = new StringBuilder(bytes.Length * 2);
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E or (byte)'%') sb.Append('%').Append(b.ToString("X2"));
            else sb.Append((char)b);
        }
        return sb.ToString();
    }

    /// <summary>Decodes; a '%' not followed by two hex digits is kept as is, as the spec asks of receivers.</summary>
    public static string Decode(string encoded)
    {
        if (!encoded.Contains('%')) return encoded;
        var bytes = new List<byte>(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length &&
                Uri.IsHexDigit(encoded[i + 1]) && Uri.IsHexDigit(encoded[i + 2]))
            {
                bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
