using System.Security.Cryptography;

namespace HilRig.AbUpdate;

/// <summary>Reads a delta body, hashing and counting what it consumes; never more than the header declares.</summary>
internal sealed class DeltaBodyReader(Stream source, IncrementalHash hash, long bodyLength, string name)
{
    public long Consumed { get; private set; }
    public long Remaining => bodyLength - Consumed;

    public void ReadExactly(Span<byte> buffer)
    {
        if (buffer.Length > Remaining)
            throw new InstallRefusedException($"{name}: delta truncated: needs {buffer.Length} bytes at offset {DeltaHeader.Size + Consumed}, the header declares only {Remaining} more");
        var n = BlockDelta.ReadFull(source, buffer);
        if (n != buffer.Length)
            throw new InstallRefusedException($"{name}: delta truncated: stream ended at offset {DeltaHeader.Size + Consumed + n}, the header declares {DeltaHeader.Size + bodyLength} bytes");
        hash.AppendData(buffer);
        Consumed += n;
    }

    /// <summary>Reads up to <paramref name="buffer"/>'s length, at most what the header still declares; 0 at the declared end.</summary>
    public int ReadSome(Span<byte> buffer)
    {
        if (buffer.Length > Remaining) buffer = buffer[..(int)Remaining];
        if (buffer.Length == 0) return 0;
        var n = source.Read(buffer);
        if (n <= 0)
            throw new InstallRefusedException($"{name}: delta truncated: stream ended at offset {DeltaHeader.Size + Consumed}, the header declares {DeltaHeader.Size + bodyLength} bytes");
        hash.AppendData(buffer[..n]);
        Consumed += n;
        return n;
    }

    /// <summary>The rest of the body as a read-only stream (what a decompressor reads from).</summary>
    public Stream AsStream() => new BodyStream(this);

    private sealed class BodyStream(DeltaBodyReader reader) : Stream
    {
        public override int Read(Span<byte> buffer) => reader.ReadSome(buffer);
        public override int Read(byte[] buffer, int offset, int count) => reader.ReadSome(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
