using System.Text;

namespace HilRig.Capture.Decoding.Coap;

/// <summary>One CoAP option as it appeared on the wire.</summary>
public readonly record struct CoapOption(int Number, ReadOnlyMemory<byte> Value)
{
    public uint AsUInt()
    {
        uint v = 0;
        foreach (var b in Value.Span) v = (v << 8) | b;
        return v;
    }

    public string AsString() => Encoding.UTF8.GetString(Value.Span);
}

/// <summary>A decoded CoAP message (RFC 7252). Owns copies of its token, options and payload.</summary>
public sealed class CoapMessage
{
    public required CoapType Type { get; init; }

    /// <summary>The code byte: class in the top 3 bits, detail in the low 5 (2.05 = 69, as tshark prints it).</summary>
    public required byte Code { get; init; }

    public required ushort MessageId { get; init; }

    public required byte[] Token { get; init; }

    public required IReadOnlyList<CoapOption> Options { get; init; }

    public required ReadOnlyMemory<byte> Payload { get; init; }

    public int CodeClass => Code >> 5;

    public int CodeDetail => Code & 0x1F;

    /// <summary>"2.05", "0.01" …</summary>
    public string CodeText => $"{CodeClass}.{CodeDetail:00}";

    public bool IsEmpty => Code == 0;

    public bool IsRequest => CodeClass == 0 && Code != 0;

    public string TokenHex => Convert.ToHexString(Token).ToLowerInvariant();

    /// <summary>The Uri-Path options joined as tshark's uri_path_recon does: "/a/b", or null when none.</summary>
    public string? UriPath
    {
        get
        {
            StringBuilder? sb = null;
            foreach (var o in Options)
            {
                if (o.Number != CoapOptionNumber.UriPath) continue;
                (sb ??= new StringBuilder()).Append('/').Append(o.AsString());
            }
            return sb?.ToString();
        }
    }

    public CoapBlock? Block1 => BlockOf(CoapOptionNumber.Block1);

    public CoapBlock? Block2 => BlockOf(CoapOptionNumber.Block2);

    public uint? Observe => UIntOf(CoapOptionNumber.Observe);

    public uint? ContentFormat => UIntOf(CoapOptionNumber.ContentFormat);

    public CoapOption? Find(int number)
    {
        foreach (var o in Options) if (o.Number == number) return o;
        return null;
    }

    private uint? UIntOf(int number) => Find(number) is { } o ? o.AsUInt() : null;

    private CoapBlock? BlockOf(int number) => Find(number) is { } o ? CoapBlock.FromValue(o.AsUInt(), 0) : null;

    public string MethodOrStatus => Code switch
    {
        0 => "Empty",
        1 => "GET",
        2 => "POST",
        3 => "PUT",
        4 => "DELETE",
        5 => "FETCH",
        6 => "PATCH",
        7 => "iPATCH",
        _ => CodeText,
    };

    public override string ToString() =>
        $"{Type switch { CoapType.Confirmable => "CON", CoapType.NonConfirmable => "NON", CoapType.Acknowledgement => "ACK", _ => "RST" }} " +
        $"{MethodOrStatus} mid={MessageId} token={TokenHex}{(UriPath is { } p ? " " + p : "")}" +
        $"{(Block1 is { } b1 ? " block1=" + b1 : "")}{(Block2 is { } b2 ? " block2=" + b2 : "")}" +
        $"{(Payload.Length > 0 ? $" payload={Payload.Length}B" : "")}";
}
