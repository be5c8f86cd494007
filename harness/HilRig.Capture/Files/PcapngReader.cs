using System.Text;

namespace HilRig.Capture.Files;

/// <summary>
/// Reads pcapng files: sections of either byte order, interface descriptions (link type, name, timestamp
/// resolution) and enhanced, simple and obsolete packet blocks. Other block types are skipped.
/// </summary>
public sealed class PcapngReader : CaptureReader
{
    private readonly List<InterfaceInfo> _interfaces = new();
    private bool _bigEndian;
    private bool _sawSection;

    public PcapngReader(Stream stream, bool ownsStream = true) : base(stream, ownsStream) { }

    /// <summary>Interfaces described so far in the current section.</summary>
    public IReadOnlyList<InterfaceInfo> Interfaces => _interfaces;

    public readonly record struct InterfaceInfo(LinkType LinkType, uint SnapLength, string? Name, ulong UnitsPerSecond);

    protected override bool HeaderPending => !_sawSection;

    protected override ParseResult TryParse(ReadOnlyMemory<byte> available, long fileOffset, out CapturedFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        var span = available.Span;
        if (span.Length < 12) return ParseResult.NeedMore;
        var type = PcapFormat.Read32(span, _bigEndian);
        if (type == PcapngFormat.SectionHeaderBlock || !_sawSection)
        {
            if (type != PcapngFormat.SectionHeaderBlock)
                throw new CaptureFormatException($"not a pcapng file: first block type 0x{type:x8} is not a section header", fileOffset);
            var bom = PcapFormat.Read32(span[8..], false);
            if (bom == PcapngFormat.ByteOrderMagic) _bigEndian = false;
            else if (PcapFormat.Read32(span[8..], true) == PcapngFormat.ByteOrderMagic) _bigEndian = true;
            else throw new CaptureFormatException($"pcapng section header has byte-order magic 0x{bom:x8}", fileOffset + 8);
        }
        var length = PcapFormat.Read32(span[4..], _bigEndian);
        if (length < 12 || length % 4 != 0 || length > PcapngFormat.MaxBlockLength)
            throw new CaptureFormatException($"pcapng block type 0x{type:x} has impossible total length {length}", fileOffset + 4);
        if (span.Length < length) return ParseResult.NeedMore;
        var trailer = PcapFormat.Read32(span[((int)length - 4)..], _bigEndian);
        if (trailer != length)
            throw new CaptureFormatException($"pcapng block type 0x{type:x} length {length} does not match its trailing length {trailer}", fileOffset + length - 4);
        consumed = (int)length;
        var body = span[8..((int)length - 4)];
        var bodyOffset = fileOffset + 8;
        switch (type)
        {
            case PcapngFormat.SectionHeaderBlock:
                ReadSection(body, bodyOffset);
                return ParseResult.Skipped;
            case PcapngFormat.InterfaceDescriptionBlock:
                ReadInterface(body, bodyOffset);
                return ParseResult.Skipped;
            case PcapngFormat.EnhancedPacketBlock:
                frame = ReadEnhanced(available.Slice(8, (int)length - 12), bodyOffset);
                return ParseResult.Frame;
            case PcapngFormat.SimplePacketBlock:
                frame = ReadSimple(available.Slice(8, (int)length - 12), bodyOffset);
                return ParseResult.Frame;
            case PcapngFormat.ObsoletePacketBlock:
                frame = ReadObsolete(available.Slice(8, (int)length - 12), bodyOffset);
                return ParseResult.Frame;
            default:
                return ParseResult.Skipped;
        }
    }

    private void ReadSection(ReadOnlySpan<byte> body, long offset)
    {
        if (body.Length < 16) throw new CaptureFormatException("pcapng section header body is shorter than 16 bytes", offset);
        var major = PcapFormat.Read16(body[4..], _bigEndian);
        if (major != 1) throw new CaptureFormatException($"pcapng major version {major} is not 1", offset + 4);
        _interfaces.Clear();
        _sawSection = true;
    }

    private void ReadInterface(ReadOnlySpan<byte> body, long offset)
    {
        if (body.Length < 8) throw new CaptureFormatException("pcapng interface description body is shorter than 8 bytes", offset);
        var link = (LinkType)PcapFormat.Read16(body, _bigEndian);
        var snap = PcapFormat.Read32(body[4..], _bigEndian);
        string? name = null;
        ulong units = 1_000_000;
        var be = _bigEndian;
        PcapngFormat.ForEachOption(body[8..], be, offset + 8, (code, value) =>
        {
            if (code == PcapngFormat.IfName) name = Encoding.UTF8.GetString(value).TrimEnd('\0');
            else if (code == PcapngFormat.IfTsResol && value.Length >= 1)
            {
                var r = value[0];
                var exponent = r & 0x7F;
                if ((r & 0x80) == 0 && exponent > 19 || (r & 0x80) != 0 && exponent > 63)
                    throw new CaptureFormatException($"pcapng if_tsresol {r} is beyond 64-bit precision", offset + 8);
                units = (r & 0x80) == 0 ? Pow10(exponent) : 1UL << exponent;
            }
        });
        _interfaces.Add(new InterfaceInfo(link, snap, name, units));
    }

    private CapturedFrame ReadEnhanced(ReadOnlyMemory<byte> body, long offset)
    {
        var span = body.Span;
        if (span.Length < 20) throw new CaptureFormatException("pcapng enhanced packet body is shorter than 20 bytes", offset);
        var ifId = (int)PcapFormat.Read32(span, _bigEndian);
        var iface = Interface(ifId, offset);
        var ts = ((ulong)PcapFormat.Read32(span[4..], _bigEndian) << 32) | PcapFormat.Read32(span[8..], _bigEndian);
        var caplen = CapturedLength(span, padded: true, "enhanced packet", offset);
        var origlen = (int)PcapFormat.Read32(span[16..], _bigEndian);
        var direction = FrameDirection.Unknown;
        string? comment = null;
        var be = _bigEndian;
        PcapngFormat.ForEachOption(span[(20 + PcapngFormat.Pad4(caplen))..], be, offset + 20 + PcapngFormat.Pad4(caplen), (code, value) =>
        {
            if (code == PcapngFormat.EpbFlags && value.Length >= 4) direction = (FrameDirection)(PcapFormat.Read32(value, be) & 3);
            else if (code == PcapngFormat.OptComment) comment = Encoding.UTF8.GetString(value);
        });
        return new CapturedFrame(ToNanos(ts, iface.UnitsPerSecond), iface.LinkType, body.Slice(20, caplen), Math.Max(origlen, caplen), ifId, direction, comment);
    }

    private CapturedFrame ReadSimple(ReadOnlyMemory<byte> body, long offset)
    {
        var span = body.Span;
        if (span.Length < 4) throw new CaptureFormatException("pcapng simple packet body is shorter than 4 bytes", offset);
        var iface = Interface(0, offset);
        var origlen = (int)PcapFormat.Read32(span, _bigEndian);
        var caplen = Math.Min(span.Length - 4, iface.SnapLength == 0 ? int.MaxValue : (int)Math.Min(iface.SnapLength, int.MaxValue));
        caplen = Math.Min(caplen, Math.Max(origlen, 0));
        return new CapturedFrame(0, iface.LinkType, body.Slice(4, caplen), Math.Max(origlen, caplen));
    }

    private CapturedFrame ReadObsolete(ReadOnlyMemory<byte> body, long offset)
    {
        var span = body.Span;
        if (span.Length < 20) throw new CaptureFormatException("pcapng obsolete packet body is shorter than 20 bytes", offset);
        var ifId = PcapFormat.Read16(span, _bigEndian);
        var iface = Interface(ifId, offset);
        var ts = ((ulong)PcapFormat.Read32(span[4..], _bigEndian) << 32) | PcapFormat.Read32(span[8..], _bigEndian);
        var caplen = CapturedLength(span, padded: false, "packet block", offset);
        var origlen = (int)PcapFormat.Read32(span[16..], _bigEndian);
        return new CapturedFrame(ToNanos(ts, iface.UnitsPerSecond), iface.LinkType, body.Slice(20, caplen), Math.Max(origlen, caplen), ifId);
    }

    /// <summary>
    /// The captured length at body offset 12, checked against the room the block leaves after its 20-byte packet
    /// header. Compared unsigned and before padding: a length near 2^31 must not wrap into a small one.
    /// </summary>
    private int CapturedLength(ReadOnlySpan<byte> body, bool padded, string block, long offset)
    {
        var caplen = PcapFormat.Read32(body[12..], _bigEndian);
        var room = body.Length - 20;
        if (caplen > (uint)room || padded && PcapngFormat.Pad4((int)caplen) > room)
            throw new CaptureFormatException($"pcapng {block} claims {caplen} captured bytes but its block holds {room}", offset + 12);
        return (int)caplen;
    }

    private InterfaceInfo Interface(int id, long offset)
    {
        if ((uint)id >= (uint)_interfaces.Count)
            throw new CaptureFormatException($"pcapng packet refers to interface {id} but only {_interfaces.Count} are described", offset);
        return _interfaces[id];
    }

    private static long ToNanos(ulong ts, ulong unitsPerSecond) =>
        unitsPerSecond == 1_000_000_000 ? (long)ts
        : unitsPerSecond == 1_000_000 ? (long)ts * 1000
        : (long)((UInt128)ts * 1_000_000_000 / unitsPerSecond);

    private static ulong Pow10(int e)
    {
        ulong v = 1;
        for (var i = 0; i < e; i++) v *= 10;
        return v;
    }
}
