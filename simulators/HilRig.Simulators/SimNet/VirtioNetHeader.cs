using System.Buffers.Binary;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// The header a TAP device with IFF_VNET_HDR puts before each packet (struct virtio_net_hdr, 10 bytes, host byte
/// order): whether the transport checksum is still to be completed, and whether the packet is a GSO super-frame
/// of several wire segments.
/// <code>
///  0      1        2         4          6            8             10
///  flags  gso_type hdr_len   gso_size   csum_start   csum_offset
/// </code>
/// </summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    public const int Length = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum field holds only the pseudo-header sum; sum from ChecksumStart to the end.</summary>
    public const byte NeedsChecksumFlag = 1;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN, or'ed into the type: the segments carry ECN (CWR only on the first).</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>A packet that is exactly one wire frame with a complete checksum.</summary>
    public bool IsPlain => (Flags & NeedsChecksumFlag) == 0 && (GsoType & ~GsoEcn) == GsoNone;

    public bool NeedsChecksum => (Flags & NeedsChecksumFlag) != 0;

    public bool IsGso => (GsoType & ~GsoEcn) != GsoNone;

    public static VirtioNetHeader Read(ReadOnlySpan<byte> header) => new(
        header[0], header[1],
        BinaryPrimitives.ReadUInt16LittleEndian(header[2..]), BinaryPrimitives.ReadUInt16LittleEndian(header[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(header[6..]), BinaryPrimitives.ReadUInt16LittleEndian(header[8..]));

    /// <summary>The header of a plain wire frame: all zeros.</summary>
    public static ReadOnlySpan<byte> Plain => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
}
