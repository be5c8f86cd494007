using System.Buffers.Binary;

namespace HilRig.Capture.Decoding;

/// <summary>A 48-bit Ethernet address held in a long, so comparing and hashing it allocates nothing.</summary>
public readonly record struct MacAddress(ulong Value)
{
    public static readonly MacAddress Broadcast = new(0xFFFF_FFFF_FFFFUL);

    public static MacAddress Read(ReadOnlySpan<byte> six) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(six) << 32) | BinaryPrimitives.ReadUInt32BigEndian(six[2..]));

    public void Write(Span<byte> six)
    {
        BinaryPrimitives.WriteUInt16BigEndian(six, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(six[2..], (uint)Value);
    }

    /// <summary>The I/G bit: set for multicast and broadcast destinations.</summary>
    public bool IsGroup => (Value & 0x0100_0000_0000UL) != 0;

    public bool IsBroadcast => Value == Broadcast.Value;

    public static MacAddress Parse(string text)
    {
        var parts = text.Split(':', '-');
        if (parts.Length != 6) throw new FormatException($"'{text}' is not a MAC address (six hex bytes)");
        ulong v = 0;
        foreach (var p in parts) v = (v << 8) | Convert.ToByte(p, 16);
        return new MacAddress(v);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        Write(b);
        return $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}";
    }
}
