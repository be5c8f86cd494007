using System.Buffers.Binary;

namespace HilRig.Capture.Files;

/// <summary>The classic libpcap file header, as read.</summary>
public readonly record struct PcapFileHeader(bool BigEndian, bool Nanosecond, ushort VersionMajor, ushort VersionMinor, uint SnapLength, LinkType LinkType);

/// <summary>
/// Classic pcap (draft-ietf-opsawg-pcap) parsing over spans. TryRead* return false when the span is
/// too short (need more bytes) and throw <see cref="CaptureFormatException"/> when the bytes break the format.
/// </summary>
/// <remarks>
/// File header:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                          Magic Number                         |
/// |          Major Version        |         Minor Version         |
/// |                           Reserved1                           |
/// |                           Reserved2                           |
/// |                            SnapLen                            |
/// | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
/// +---------------------------------------------------------------+
/// </code>
/// Record header: Timestamp (seconds), Timestamp (micro- or nanoseconds), Captured length, Original length.
/// </remarks>
public static class PcapFormat
{
    public const uint MagicMicroseconds = 0xA1B2C3D4;
    public const uint MagicNanoseconds = 0xA1B23C4D;
    public const int FileHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    /// <summary>Records longer than this are treated as corruption, not as a frame (libpcap's own ceiling).</summary>
    public const int MaxRecordLength = 256 * 1024;

    private const int MagicOffset = 0;
    private const int VersionMajorOffset = 4;
    private const int VersionMinorOffset = 6;
    private const int SnapLenOffset = 16;
    private const int LinkTypeOffset = 20;

    public static bool IsPcapMagic(ReadOnlySpan<byte> first4)
    {
        if (first4.Length < 4) return false;
        var le = BinaryPrimitives.ReadUInt32LittleEndian(first4);
        var be = BinaryPrimitives.ReadUInt32BigEndian(first4);
        return le is MagicMicroseconds or MagicNanoseconds || be is MagicMicroseconds or MagicNanoseconds;
    }

    public static bool TryReadFileHeader(ReadOnlySpan<byte> buffer, out PcapFileHeader header)
    {
        header = default;
        if (buffer.Length < FileHeaderLength) return false;
        var le = BinaryPrimitives.ReadUInt32LittleEndian(buffer[MagicOffset..]);
        var be = BinaryPrimitives.ReadUInt32BigEndian(buffer[MagicOffset..]);
        bool bigEndian, nanos;
        if (le is MagicMicroseconds or MagicNanoseconds) { bigEndian = false; nanos = le == MagicNanoseconds; }
        else if (be is MagicMicroseconds or MagicNanoseconds) { bigEndian = true; nanos = be == MagicNanoseconds; }
        else throw new CaptureFormatException($"not a pcap file: magic 0x{be:x8}", MagicOffset);

        var major = Read16(buffer[VersionMajorOffset..], bigEndian);
        var minor = Read16(buffer[VersionMinorOffset..], bigEndian);
        if (major != 2) throw new CaptureFormatException($"pcap version {major}.{minor} is not 2.x", VersionMajorOffset);
        var snap = Read32(buffer[SnapLenOffset..], bigEndian);
        // The upper bits hold the FCS length and flag; the link type is the low 16 bits in practice.
        var link = (LinkType)(ushort)(Read32(buffer[LinkTypeOffset..], bigEndian) & 0xFFFF);
        header = new PcapFileHeader(bigEndian, nanos, major, minor, snap, link);
        return true;
    }

    /// <summary>Reads one record. <paramref name="recordOffset"/> is only used in error messages.</summary>
    public static bool TryReadRecord(ReadOnlySpan<byte> buffer, in PcapFileHeader header, long recordOffset,
        out long timestampNanos, out int capturedLength, out int originalLength, out int consumed)
    {
        timestampNanos = 0; capturedLength = 0; originalLength = 0; consumed = 0;
        if (buffer.Length < RecordHeaderLength) return false;
        var seconds = Read32(buffer, header.BigEndian);
        var fraction = Read32(buffer[4..], header.BigEndian);
        var incl = Read32(buffer[8..], header.BigEndian);
        var orig = Read32(buffer[12..], header.BigEndian);
        if (incl > MaxRecordLength)
            throw new CaptureFormatException($"pcap record claims {incl} captured bytes, more than {MaxRecordLength}; the file is corrupt", recordOffset + 8);
        if (fraction >= (header.Nanosecond ? 1_000_000_000u : 1_000_000u))
            throw new CaptureFormatException($"pcap record timestamp fraction {fraction} is out of range", recordOffset + 4);
        if (buffer.Length < RecordHeaderLength + incl) return false;
        timestampNanos = seconds * 1_000_000_000L + (header.Nanosecond ? fraction : fraction * 1000L);
        capturedLength = (int)incl;
        originalLength = (int)Math.Max(orig, incl);
        consumed = RecordHeaderLength + (int)incl;
        return true;
    }

    public static void WriteFileHeader(Span<byte> destination, LinkType linkType, uint snapLength, bool nanosecond)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, nanosecond ? MagicNanoseconds : MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], (uint)linkType);
    }

    public static void WriteRecordHeader(Span<byte> destination, long timestampNanos, int capturedLength, int originalLength, bool nanosecond)
    {
        var seconds = Math.DivRem(timestampNanos, 1_000_000_000L, out var rest);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)(nanosecond ? rest : rest / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)capturedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], (uint)originalLength);
    }

    internal static ushort Read16(ReadOnlySpan<byte> b, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);

    internal static uint Read32(ReadOnlySpan<byte> b, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
}
