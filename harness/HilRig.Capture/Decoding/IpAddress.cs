using System.Buffers.Binary;
using System.Net;

namespace HilRig.Capture.Decoding;

/// <summary>
/// An IPv4 or IPv6 address as two longs: decoding a packet's addresses allocates nothing, unlike
/// <see cref="System.Net.IPAddress"/>. IPv4 is held as ::ffff:a.b.c.d with <see cref="IsV4"/> set.
/// </summary>
public readonly record struct IpAddress(ulong High, ulong Low, bool IsV4)
{
    public static IpAddress FromV4(ReadOnlySpan<byte> four) =>
        new(0, 0xFFFF_0000_0000UL | BinaryPrimitives.ReadUInt32BigEndian(four), true);

    public static IpAddress FromV6(ReadOnlySpan<byte> sixteen) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(sixteen), BinaryPrimitives.ReadUInt64BigEndian(sixteen[8..]), false);

    public static IpAddress From(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(b, out _);
            return FromV4(b);
        }
        address.TryWriteBytes(b, out _);
        return FromV6(b);
    }

    public static IpAddress Parse(string text) => From(IPAddress.Parse(text));

    public bool IsMulticast => IsV4 ? (Low & 0xF000_0000UL) == 0xE000_0000UL : (High >> 56) == 0xFF;

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, (uint)Low);
            return new IPAddress(b[..4]);
        }
        BinaryPrimitives.WriteUInt64BigEndian(b, High);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Low);
        return new IPAddress(b);
    }

    public override string ToString() => ToIPAddress().ToString();
}
