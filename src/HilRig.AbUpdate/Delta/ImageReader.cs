using Microsoft.Win32.SafeHandles;

namespace HilRig.AbUpdate.Delta;

/// <summary>
/// Random-access, thread-safe reads of an image that delta creation takes apart: a file read with positional reads (so
/// per-file work can run on every core at once), or bytes already in memory. Reads past the end are refused.
/// </summary>
public abstract class ImageReader : IDisposable
{
    protected ImageReader(string name, long length)
    {
        Name = name;
        Length = length;
    }

    /// <summary>What error messages call the image (its path).</summary>
    public string Name { get; }

    public long Length { get; }

    public void ReadAt(long offset, Span<byte> buffer)
    {
        if (offset < 0 || offset + buffer.Length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"{Name}: read of {buffer.Length} bytes at offset {offset} is outside the {Length}-byte image");
        ReadCore(offset, buffer);
    }

    /// <summary>Reads 4 KiB blocks; the part of the last block past the end of the image reads as zeros.</summary>
    public void ReadBlocks(long firstBlock, Span<byte> buffer)
    {
        var offset = firstBlock * MerkleTree.BlockSize;
        var valid = (int)Math.Clamp(Length - offset, 0, buffer.Length);
        if (valid > 0) ReadAt(offset, buffer[..valid]);
        buffer[valid..].Clear();
    }

    public long Blocks => MerkleTree.LeafCount(Length);

    protected abstract void ReadCore(long offset, Span<byte> buffer);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    public static ImageReader FromFile(string path) => new FileImageReader(path);

    public static ImageReader FromBytes(byte[] bytes, string name = "image") => new ArrayImageReader(bytes, name);

    /// <summary>A seekable stream's whole content (a MemoryStream's buffer is used as it is).</summary>
    public static ImageReader FromStream(Stream stream, string name)
    {
        if (stream is FileStream fs) return new FileImageReader(fs.Name);
        if (stream is MemoryStream ms && ms.TryGetBuffer(out var segment) && segment.Offset == 0 && segment.Array is { } array)
            return new ArrayImageReader(array, name, ms.Length);
        stream.Position = 0;
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new ArrayImageReader(copy.GetBuffer(), name, copy.Length);
    }

    private sealed class FileImageReader : ImageReader
    {
        private readonly SafeFileHandle _handle;

        public FileImageReader(string path) : this(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
        }

        private FileImageReader(string path, SafeFileHandle handle) : base(path, RandomAccess.GetLength(handle)) => _handle = handle;

        protected override void ReadCore(long offset, Span<byte> buffer)
        {
            while (buffer.Length > 0)
            {
                var n = RandomAccess.Read(_handle, buffer, offset);
                if (n <= 0) throw new EndOfStreamException($"{Name}: ended at offset {offset} while reading");
                buffer = buffer[n..];
                offset += n;
            }
        }

        public override void Dispose()
        {
            _handle.Dispose();
            base.Dispose();
        }
    }

    private sealed class ArrayImageReader(byte[] bytes, string name, long? length = null) : ImageReader(name, length ?? bytes.LongLength)
    {
        protected override void ReadCore(long offset, Span<byte> buffer) => bytes.AsSpan((int)offset, buffer.Length).CopyTo(buffer);
    }
}
