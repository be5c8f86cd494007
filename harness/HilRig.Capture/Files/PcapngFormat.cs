using System.Buffers.Binary;

namespace HilRig.Capture.Files;

/// <summary>
/// pcapng (draft-ietf-opsawg-pcapng) block constants and helpers.
/// </summary>
/// <remarks>
/// Every block has the same frame:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +---------------------------------------------------------------+
/// |                          Block Type                           |
/// +---------------------------------------------------------------+
/// |                      Block Total Length                       |
/// +---------------------------------------------------------------+
/// /                          Block Body                           /
/// +---------------------------------------------------------------+
/// |                      Block Total Length                       |
/// +---------------------------------------------------------------+
/// </code>
/// Options inside a body are (code:16, length:16, value padded to 32 bits), ended by opt_endofopt (0).
/// </remarks>
public static class PcapngFormat
{
    public const uint SectionHeaderBlock = 0x0A0D0D0A;
    public const uint InterfaceDescriptionBlock = 1;
    public const uint ObsoletePacketBlock = 2;
    public const uint SimplePacketBlock = 3;
    public const uint EnhancedPacketBlock = 6;
    public const uint ByteOrderMagic = 0x1A2B3C4D;

    public const ushort OptEndOfOpt = 0;
    public const ushort OptComment = 1;
    public const ushort IfName = 2;
    public const ushort IfTsResol = 9;
    public const ushort EpbFlags = 2;

    /// <summary>Blocks larger than this are treated as corruption.</summary>
    public const int MaxBlockLength = 16 * 1024 * 1024;

    public static bool IsPcapngMagic(ReadOnlySpan<byte> first4) =>
        first4.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(first4) == SectionHeaderBlock;

    public static int Pad4(int length) => (length + 3) & ~3;

    /// <summary>Walks an options area, calling <paramref name="onOption"/> for each; throws on a malformed option.</summary>
    public static void ForEachOption(ReadOnlySpan<byte> options, bool bigEndian, long optionsOffset, OptionVisitor onOption)
    {
        var pos = 0;
        while (pos + 4 <= options.Length)
        {
            var code = PcapFormat.Read16(options[pos..], bigEndian);
            var len = PcapFormat.Read16(options[(pos + 2)..], bigEndian);
            if (code == OptEndOfOpt) return;
            if (pos + 4 + len > options.Length)
                throw new CaptureFormatException($"pcapng option {code} claims {len} bytes but only {options.Length - pos - 4} remain in its block", optionsOffset + pos);
            onOption(code, options.Slice(pos + 4, len));
            pos += 4 + Pad4(len);
        }
    }

    public delegate void OptionVisitor(ushort code, ReadOnlySpan<byte> value);
}
