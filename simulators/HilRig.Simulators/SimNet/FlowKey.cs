using System.Buffers.Binary;
using HilRig.Simulators.Randomness;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// The flow a wire frame belongs to, as one number: IP version, addresses, protocol and, for TCP and UDP, ports; for
/// anything else the MAC addresses and EtherType. SimNet seeds each frame's decisions with it, so a flow's n-th frame gets
/// the same fate on a replay however other flows' frames interleave with it.
/// </summary>
internal static class FlowKey
{
    private const int EthernetHeaderLength = 14;

    public static ulong Of(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeaderLength) return Fold(0, frame);
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var l3 = frame[EthernetHeaderLength..];
        ulong vlan = 0;
        if (etherType == 0x8100 && frame.Length >= EthernetHeaderLength + 4)
        {
            // One 802.1Q tag: the VLAN belongs to the flow.
            vlan = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0x0FFFu;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
            l3 = frame[(EthernetHeaderLength + 4)..];
        }
        var key = SeedDerivation.Combine(etherType, vlan);
        if (etherType == 0x0800 && l3.Length >= 20 && l3[0] >> 4 == 4)
        {
            var headerLength = (l3[0] & 0x0F) * 4;
            var protocol = l3[9];
            key = Fold(SeedDerivation.Combine(key, protocol), l3.Slice(12, 8));
            // Ports only in a first (or only) fragment, where they are.
            var firstFragment = (BinaryPrimitives.ReadUInt16BigEndian(l3[6..]) & 0x1FFF) == 0;
            return firstFragment ? WithPorts(key, protocol, l3, headerLength) : key;
        }
        if (etherType == 0x86DD && l3.Length >= 40 && l3[0] >> 4 == 6)
        {
            var nextHeader = l3[6];
            key = Fold(SeedDerivation.Combine(key, nextHeader), l3.Slice(8, 32));
            return WithPorts(key, nextHeader, l3, 40);
        }
        return Fold(key, frame[..12]);
    }

    private static ulong WithPorts(ulong key, byte protocol, ReadOnlySpan<byte> l3, int transportOffset) =>
        protocol is 6 or 17 && transportOffset >= 20 && l3.Length >= transportOffset + 4
            ? SeedDerivation.Combine(key, BinaryPrimitives.ReadUInt32BigEndian(l3[transportOffset..]))
            : key;

    private static ulong Fold(ulong key, ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length >= 8)
        {
            key = SeedDerivation.Combine(key, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
            bytes = bytes[8..];
        }
        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++) tail |= (ulong)bytes[i] << (8 * i);
        return SeedDerivation.Combine(key, tail ^ ((ulong)bytes.Length << 56));
    }
}
