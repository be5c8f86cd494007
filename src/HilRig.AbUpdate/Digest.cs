using System.Buffers.Binary;
using System.Security.Cryptography;

namespace HilRig.AbUpdate;

/// <summary>A SHA-256 value: a release's identity, a Merkle root. Compared by value; printed as lowercase hex.</summary>
public readonly record struct Digest(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public const int Size = 32;
    public static readonly Digest Zero = default;

    public static Digest FromSpan(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size) throw new ArgumentException($"a digest is {Size} bytes, got {bytes.Length}");
        return new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, W0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], W1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], W2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], W3);
    }

    public byte[] ToArray()
    {
        var b = new byte[Size];
        WriteTo(b);
        return b;
    }

    public bool IsZero => this == Zero;

    public static Digest Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[Size];
        SHA256.HashData(data, h);
        return FromSpan(h);
    }

    public static Digest Parse(string hex)
    {
        var t = hex.Trim();
        if (t.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase)) t = t[7..];
        if (t.Length != 64) throw new FormatException($"'{hex}' is not a SHA-256 (64 hex digits)");
        try
        {
            return FromSpan(Convert.FromHexString(t));
        }
        catch (FormatException)
        {
            throw new FormatException($"'{hex}' is not a SHA-256 (64 hex digits)");
        }
    }

    public string ToHex() => Convert.ToHexStringLower(ToArray());

    /// <summary>The first 8 hex digits, as the upgrade server shows versions: "1.2.0-rc3 (d3459147)".</summary>
    public string Short => ToHex()[..8];

    public override string ToString() => ToHex();
}
