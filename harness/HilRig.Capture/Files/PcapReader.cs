namespace HilRig.Capture.Files;

/// <summary>Reads classic pcap files (either byte order, micro- or nanosecond timestamps).</summary>
public sealed class PcapReader : CaptureReader
{
    private PcapFileHeader? _header;

    public PcapReader(Stream stream, bool ownsStream = true) : base(stream, ownsStream) { }

    public PcapFileHeader? Header => _header;

    protected override bool HeaderPending => _header is null;

    protected override ParseResult TryParse(ReadOnlyMemory<byte> available, long fileOffset, out CapturedFrame frame, out int consumed)
    {
        frame = default;
        consumed = 0;
        var span = available.Span;
        if (_header is not { } header)
        {
            if (!PcapFormat.TryReadFileHeader(span, out var h)) return ParseResult.NeedMore;
            _header = h;
            consumed = PcapFormat.FileHeaderLength;
            return ParseResult.Skipped;
        }
        if (!PcapFormat.TryReadRecord(span, header, fileOffset, out var ts, out var caplen, out var origlen, out consumed))
            return ParseResult.NeedMore;
        frame = new CapturedFrame(ts, header.LinkType, available.Slice(PcapFormat.RecordHeaderLength, caplen), origlen);
        return ParseResult.Frame;
    }
}
