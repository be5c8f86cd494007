using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace HilRig.Capture.Decoding.Network;

/// <summary>
/// The ones'-complement sum of RFC 1071. Words are added into wide accumulators without tracking carries, which are
/// folded back at the end: a 64-bit lane that adds 32-bit halves cannot overflow before 2^32 of them (far beyond any
/// packet), and 2^32 ≡ 2^16 ≡ 1 modulo 0xFFFF makes the fold equal to the 16-bit word sum.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> (as big-endian 16-bit words, odd byte padded) to a running 32-bit-folded sum.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // Summing native-endian words and byte-swapping the folded result equals the big-endian word sum (RFC 1071 §2(B)).
        var vectors = MemoryMarshal.Cast<byte, Vector<ulong>>(data);
        var low = Vector<ulong>.Zero;
        var high = Vector<ulong>.Zero;
        var lowHalves = new Vector<ulong>(0xffff_ffffUL);
        foreach (var v in vectors)
        {
            low += v & lowHalves;
            high += Vector.ShiftRightLogical(v, 32);
        }
        var acc = Vector.Sum(low) + Vector.Sum(high);
        var rest = data[(vectors.Length * Vector<byte>.Count)..];
        var words = MemoryMarshal.Cast<byte, uint>(rest);
        foreach (var w in words) acc += w;
        var tail = rest[(words.Length * 4)..];
        uint last = 0;
        for (var i = 0; i < tail.Length; i++) last |= (uint)tail[i] << (8 * i);
        acc += last;
        // Fold 64 → 16 bits (native order), then to network order.
        var folded = (acc & 0xffffffff) + (acc >> 32);
        folded = (folded & 0xffff) + (folded >> 16);
        folded = (folded & 0xffff) + (folded >> 16);
        folded = (folded & 0xffff) + (folded >> 16);
        var network = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness((ushort)folded) : (ushort)folded;
        return sum + network;
    }

    public static ushort Finish(ulong sum)
    {
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>The sum of the IPv4 pseudo-header (RFC 9293 §3.1) for a transport segment of <paramref name="length"/> bytes.</summary>
    /// <param name="ip">The IPv4 header (addresses at bytes 12–19).</param>
    public static ulong PseudoHeaderV4(ReadOnlySpan<byte> ip, byte protocol, int length)
    {
        Span<byte> pseudo = stackalloc byte[12];
        ip.Slice(12, 8).CopyTo(pseudo);
        pseudo[8] = 0;
        pseudo[9] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)length);
        return Add(0, pseudo);
    }

    /// <summary>The sum of the IPv6 pseudo-header (RFC 8200 §8.1) for an upper-layer packet of <paramref name="length"/> bytes.</summary>
    /// <param name="ip">The IPv6 header (addresses at bytes 8–39).</param>
    public static ulong PseudoHeaderV6(ReadOnlySpan<byte> ip, byte protocol, int length)
    {
        Span<byte> pseudo = stackalloc byte[40];
        ip.Slice(8, 32).CopyTo(pseudo);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)length);
        pseudo[36] = pseudo[37] = pseudo[38] = 0;
        pseudo[39] = protocol;
        return Add(0, pseudo);
    }
}
