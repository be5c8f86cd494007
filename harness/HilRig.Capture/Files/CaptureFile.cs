namespace HilRig.Capture.Files;

/// <summary>Opens a capture file whichever of pcap and pcapng it is.</summary>
public static class CaptureFile
{
    /// <summary>Opens the file at <paramref name="path"/>, read up to <paramref name="length"/> (see <see cref="CaptureReader.Length"/>).</summary>
    public static CaptureReader Open(string path, long length = long.MaxValue)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        try
        {
            return Open(stream, path, length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="stream"/>, which must be seekable or buffered enough to peek 4 bytes.</summary>
    public static CaptureReader Open(Stream stream, string source, long length = long.MaxValue)
    {
        Span<byte> magic = stackalloc byte[4];
        var read = 0;
        while (read < 4)
        {
            var n = stream.Read(magic[read..]);
            if (n == 0) break;
            read += n;
        }
        if (read < 4)
            throw new CaptureFormatException($"{source}: too short to be a capture ({read} bytes)", 0);
        Stream rest = new PrefixedStream(magic.ToArray(), stream);
        if (PcapngFormat.IsPcapngMagic(magic)) return new PcapngReader(rest) { Source = source, Length = length };
        if (PcapFormat.IsPcapMagic(magic)) return new PcapReader(rest) { Source = source, Length = length };
        throw new CaptureFormatException($"{source}: neither pcap nor pcapng (magic {Convert.ToHexString(magic)})", 0);
    }

    /// <summary>Reads every frame of a file (detached copies).</summary>
    public static List<CapturedFrame> ReadAll(string path)
    {
        using var reader = Open(path);
        return reader.ReadAll();
    }

    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int _prefixPos;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefixPos < prefix.Length)
            {
                var n = Math.Min(buffer.Length, prefix.Length - _prefixPos);
                prefix.AsSpan(_prefixPos, n).CopyTo(buffer);
                _prefixPos += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
