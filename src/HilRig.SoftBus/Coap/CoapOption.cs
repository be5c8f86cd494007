using System.Text;

namespace HilRig.SoftBus.Coap;

/// <summary>One option: its number and its value bytes (uint options are big-endian with no leading zeros, §3.2).</summary>
public readonly record struct CoapOption(int Number, byte[] Value)
{
    public static CoapOption String(int number, string value) => new(number, Encoding.UTF8.GetBytes(value));

    public static CoapOption UInt(int number, uint value)
    {
        var length = value == 0 ? 0 : value <= 0xFF ? 1 : value <= 0xFFFF ? 2 : value <= 0xFFFFFF ? 3 : 4;
        var bytes = new byte[length];
        for (var i = length - 1; i >= 0; i--, value >>= 8) bytes[i] = (byte)value;
        return new CoapOption(number, bytes);
    }

    public uint AsUInt()
    {
        uint v = 0;
        foreach (var b in Value) v = (v << 8) | b;
        return v;
    }

    public string AsString() => Encoding.UTF8.GetString(Value);

    public bool Equals(CoapOption other) => Number == other.Number && Value.AsSpan().SequenceEqual(other.Value);

    public override int GetHashCode() => HashCode.Combine(Number, Value.Length);
}
