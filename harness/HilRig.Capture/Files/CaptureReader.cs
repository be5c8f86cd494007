namespace HilRig.Capture.Files;

/// <summary>
/// Reads frames from a pcap or pcapng stream. The frame returned by <see cref="TryReadNext"/> points into
/// this reader's buffer until the next call. A file cut mid-record raises <see cref="CaptureFormatException"/>
/// naming the offset of the incomplete record after every complete frame before it has been returned.
/// </summary>
public abstract class CaptureReader : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private long _bufferFileOffset;
    private long _frameCount;

    protected CaptureReader(Stream stream, bool ownsStream)
    {
        _stream = stream;
        _ownsStream = ownsStream;
    }

    /// <summary>Where the file came from, for messages.</summary>
    public string Source { get; init; } = "capture";

    /// <summary>
    /// Where reading stops: the end of the last complete record of a capture that is still being written (what
    /// <see cref="ICaptureWriter.Flush"/> returned), so the start of a record being appended is not read as a cut file.
    /// </summary>
    public long Length { get; init; } = long.MaxValue;

    /// <summary>File offset of the record or block that held the frame last returned, for messages about it.</summary>
    public long FrameOffset { get; private set; }

    /// <summary>Frames returned so far.</summary>
    public long FrameCount => _frameCount;

    /// <summary>Reads the next frame; false at a clean end of file.</summary>
    public bool TryReadNext(out CapturedFrame frame)
    {
        while (true)
        {
            var available = new ReadOnlyMemory<byte>(_buffer, _start, _end - _start);
            var offset = _bufferFileOffset + _start;
            ParseResult result;
            try
            {
                result = TryParse(available, offset, out frame, out var consumed);
                if (result != ParseResult.NeedMore)
                {
                    _start += consumed;
                    if (result == ParseResult.Frame)
                    {
                        FrameOffset = offset;
                        _frameCount++;
                        return true;
                    }
                    continue; // a block that carries no frame
                }
            }
            catch (CaptureFormatException e) when (!e.Message.Contains(Source, StringComparison.Ordinal))
            {
                throw new CaptureFormatException($"{Source}: {e.Reason}", e.Offset, e);
            }

            if (_eof)
            {
                if (available.IsEmpty && !HeaderPending) { frame = default; return false; }
                throw new CaptureFormatException(
                    $"{Source}: file ends inside a {(HeaderPending ? "file header" : "record")} ({available.Length} bytes left over after frame {_frameCount})", offset);
            }
            Fill();
        }
    }

    /// <summary>Reads every remaining frame as detached copies.</summary>
    public List<CapturedFrame> ReadAll()
    {
        var frames = new List<CapturedFrame>();
        while (TryReadNext(out var f)) frames.Add(f.Detach());
        return frames;
    }

    protected enum ParseResult { NeedMore, Frame, Skipped }

    /// <summary>True until the file header has been read (so an empty file is an error, not an empty capture).</summary>
    protected abstract bool HeaderPending { get; }

    /// <summary>Parses the next unit (header, block or record) from <paramref name="available"/>; a frame's Data slices it.</summary>
    protected abstract ParseResult TryParse(ReadOnlyMemory<byte> available, long fileOffset, out CapturedFrame frame, out int consumed);

    private void Fill()
    {
        if (_start > 0 && _start == _end) { _bufferFileOffset += _start; _start = _end = 0; }
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _bufferFileOffset += _start;
                _end -= _start;
                _start = 0;
            }
            else Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        var room = (int)Math.Min(_buffer.Length - _end, Length - (_bufferFileOffset + _end));
        var n = room > 0 ? _stream.Read(_buffer, _end, room) : 0;
        if (n == 0) _eof = true;
        _end += n;
    }

    public void Dispose()
    {
        if (_ownsStream) _stream.Dispose();
        GC.SuppressFinalize(this);
    }
}
