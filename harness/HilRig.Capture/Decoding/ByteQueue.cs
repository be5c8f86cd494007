namespace HilRig.Capture.Decoding;

/// <summary>A growable FIFO of bytes for stream protocols: append what TCP delivered, parse from the front.</summary>
internal sealed class ByteQueue
{
    private byte[] _buffer = new byte[256];
    private int _start;
    private int _end;

    /// <summary>Bytes consumed from the front since the start, i.e. the stream offset of <see cref="Span"/>[0].</summary>
    public long Offset { get; private set; }

    public int Length => _end - _start;

    public ReadOnlySpan<byte> Span => new(_buffer, _start, _end - _start);

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_end + data.Length > _buffer.Length)
        {
            var length = _end - _start;
            if (length + data.Length > _buffer.Length)
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, length + data.Length)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, length);
                _buffer = bigger;
            }
            else Buffer.BlockCopy(_buffer, _start, _buffer, 0, length);
            _start = 0;
            _end = length;
        }
        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    public void Consume(int count)
    {
        _start += count;
        Offset += count;
        if (_start != _end) return;
        _start = _end = 0;
        // One large message must not pin its buffer for the rest of the connection.
        if (_buffer.Length > ShrinkAbove) _buffer = new byte[256];
    }

    private const int ShrinkAbove = 1024 * 1024;

    public void Clear() => Consume(Length);
}
