using HilRig.Capture.Decoding.Coap;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>An independent CoAP encoder for round-trip properties (RFC 7252 §3, §3.1).</summary>
internal static class CoapTestEncoder
{
    public static byte[] Encode(CoapType type, byte code, ushort mid, byte[] token, (int Number, byte[] Value)[] options, byte[] payload)
    {
        var o = new List<byte> { (byte)(0x40 | ((int)type << 4) | token.Length), code, (byte)(mid >> 8), (byte)mid };
        o.AddRange(token);
        var previous = 0;
        foreach (var (number, value) in options)
        {
            var delta = number - previous;
            previous = number;
            var (dn, dx) = Nibble(delta);
            var (ln, lx) = Nibble(value.Length);
            o.Add((byte)((dn << 4) | ln));
            o.AddRange(dx);
            o.AddRange(lx);
            o.AddRange(value);
        }
        if (payload.Length > 0)
        {
            o.Add(0xFF);
            o.AddRange(payload);
        }
        return o.ToArray();
    }

    private static (int, byte[]) Nibble(int v) => v switch
    {
        < 13 => (v, []),
        < 269 => (13, [(byte)(v - 13)]),
        _ => (14, [(byte)((v - 269) >> 8), (byte)(v - 269)]),
    };
}
