using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace HilRig.Simulators.SimNet;

/// <summary>The ones'-complement sum of RFC 1071, 8 bytes at a time (the carries are folded at the end).</summary>
internal static class InternetChecksum
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
}
