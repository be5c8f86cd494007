using HilRig.Capture.Decoding.Transport;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>Records a reassembled stream as delivered: the bytes in order and the gaps between them.</summary>
internal sealed class RecordingSink : ITcpStreamSink
{
    private readonly MemoryStream _bytes = new();

    public List<(long Offset, long Length)> Gaps { get; } = new();

    /// <summary>Stream offset of each delivered run, so tests can check where bytes landed after a gap.</summary>
    public List<(long Offset, byte[] Bytes)> Runs { get; } = new();

    public long Position { get; private set; }

    public byte[] Bytes => _bytes.ToArray();

    public void OnBytes(ReadOnlySpan<byte> bytes)
    {
        Runs.Add((Position, bytes.ToArray()));
        _bytes.Write(bytes);
        Position += bytes.Length;
    }

    public void OnGap(long streamOffset, long length)
    {
        if (streamOffset != Position) throw new InvalidOperationException($"gap at {streamOffset} but the stream is at {Position}");
        Gaps.Add((streamOffset, length));
        Position += length;
    }
}
