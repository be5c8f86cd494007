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
    public static ulong PseudoHeaderV4(ReadOnlySpan<byte> ip, byte protocol, int length) => PseudoHeader(AddressSum(ip, ipv4: true), protocol, length);

    /// <summary>The sum of the IPv6 pseudo-header (RFC 8200 §8.1) for an upper-layer packet of <paramref name="length"/> bytes.</summary>
    /// <param name="ip">The IPv6 header (addresses at bytes 8–39).</param>
    public static ulong PseudoHeaderV6(ReadOnlySpan<byte> ip, byte protocol, int length) => PseudoHeader(AddressSum(ip, ipv4: false), protocol, length);

    /// <summary>The sum of a packet's source and destination addresses: the part of the pseudo-header the IP layer holds.</summary>
    /// <param name="ip">The IP header: IPv4 (addresses at 12–19) or IPv6 (addresses at 8–39).</param>
    public static ulong AddressSum(ReadOnlySpan<byte> ip, bool ipv4) => Add(0, ipv4 ? ip.Slice(12, 8) : ip.Slice(8, 32));

    /// <summary>
    /// Completes a pseudo-header sum from its addresses: the zero byte(s) and protocol form one word, the length one word
    /// (IPv4) or two (IPv6's 32 bits), so one formula serves both.
    /// </summary>
    public static ulong PseudoHeader(ulong addressSum, byte protocol, int length) =>
        addressSum + protocol + ((uint)length >> 16) + ((uint)length & 0xffff);
}
