using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace HilRig.Capture.Decoding.Network;

/// <summary>The ones'-complement sum of RFC 1071, 8 bytes at a time (the carries are folded at the end).</summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> (as big-endian 16-bit words, odd byte padded) to a running 32-bit-folded sum.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // Summing native-endian 64-bit words and byte-swapping the folded result equals the big-endian word sum (RFC 1071 §2(B)).
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        ulong acc = 0;
        foreach (var w in words)
        {
            var before = acc;
            acc += w;
            if (acc < before) acc++; // end-around carry
        }
        var tail = data[(words.Length * 8)..];
        ulong rest = 0;
        for (var i = 0; i < tail.Length; i++) rest |= (ulong)tail[i] << (8 * i);
        var b = acc;
        acc += rest;
        if (acc < b) acc++;
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
