using System.Security.Cryptography;
using HilRig.Storage;

namespace HilRig.AbUpdate;

/// <summary>
/// Streams an image into a slot's image area in 1 MiB chunks: the device write runs on the calling thread while the
/// incremental SHA-256 and the Merkle leaves of the same chunk are computed on another core. Nothing is held but two chunks
/// and the leaf digests (32 bytes per 4 KiB).
/// </summary>
internal sealed class SlotWriter : IDisposable
{
    public const int ChunkSize = 1 << 20;
    private readonly IBlockDevice _target;
    private readonly long _capacity;
    private readonly string _where;
    private readonly byte[][] _buffers = [new byte[ChunkSize], new byte[ChunkSize]];
    private readonly byte[] _leaves;
    /// <summary>Blocks whose leaf the caller already knows (a delta's copies and zeros): the leaf task skips them.</summary>
    private readonly ulong[] _known;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Task _leafTask = Task.CompletedTask;
    private int _current;
    private int _fill;
    private long _written;

    public SlotWriter(IBlockDevice target, long capacity, string where)
    {
        _target = target;
        _capacity = capacity;
        _where = where;
        _leaves = new byte[capacity / MerkleTree.BlockSize * Digest.Size];
        _known = new ulong[(capacity / MerkleTree.BlockSize + 63) / 64];
    }

    /// <summary>
    /// The leaf digests of the next blocks, known to the caller (a copied block's is its source's, verified before; a zero
    /// block's is a constant): they are taken as they are instead of hashing the blocks again. Call before appending them.
    /// </summary>
    public void KnownLeaves(ReadOnlySpan<byte> digests)
    {
        var at = Size;
        if (at % MerkleTree.BlockSize != 0) throw new InvalidOperationException("known leaves start at a block boundary");
        var first = at / MerkleTree.BlockSize;
        var count = digests.Length / Digest.Size;
        if ((first + count) * Digest.Size > _leaves.Length) return;   // past the slot: Advance refuses the data itself
        digests.CopyTo(_leaves.AsSpan((int)(first * Digest.Size)));
        for (var b = first; b < first + count; b++) _known[b >> 6] |= 1UL << (int)(b & 63);
    }

    /// <summary>When set, only this many leading bytes are the image (hashed and reported); the rest is block padding.</summary>
    public long? ImageSizeLimit { get; set; }

    /// <summary>Bytes accepted so far (the image size when finished).</summary>
    public long Size => _written + _fill;

    /// <summary>The unfilled part of the current chunk, to read into directly.</summary>
    public Span<byte> FreeSpace => _buffers[_current].AsSpan(_fill);

    public void Advance(int n)
    {
        if (n < 0 || n > ChunkSize - _fill) throw new ArgumentOutOfRangeException(nameof(n));
        if (_written + _fill + n > _capacity)
            throw new InstallRefusedException($"image is larger than {_where}: more than {_capacity} bytes (the slot's capacity) arrived");
        _fill += n;
        if (_fill == ChunkSize) Submit();
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        while (data.Length > 0)
        {
            var n = Math.Min(data.Length, ChunkSize - _fill);
            data[..n].CopyTo(FreeSpace);
            data = data[n..];
            Advance(n);
        }
    }

    public void AppendZeros(long count)
    {
        while (count > 0)
        {
            var n = (int)Math.Min(count, ChunkSize - _fill);
            FreeSpace[..n].Clear();
            count -= n;
            Advance(n);
        }
    }

    /// <summary>Fills the slot from a stream until it ends.</summary>
    public void CopyFrom(Stream source)
    {
        while (true)
        {
            var free = FreeSpace;
            if (free.Length == 0) throw new InvalidOperationException("chunk full");
            var n = source.Read(free);
            if (n <= 0) return;
            Advance(n);
        }
    }

    private void Submit()
    {
        var buf = _buffers[_current];
        var n = _fill;
        if (n == 0) return;
        var padded = (int)BlockDevice.AlignUp(n, MerkleTree.BlockSize);
        buf.AsSpan(n, padded - n).Clear();
        _leafTask.Wait();
        var leafOffset = (int)(_written / MerkleTree.BlockSize * Digest.Size);
        var leaves = _leaves;
        var known = _known;
        var sha = _sha;
        var firstBlock = _written / MerkleTree.BlockSize;
        var imageBytes = (int)Math.Clamp((ImageSizeLimit ?? long.MaxValue) - _written, 0, n);
        // The image hash (in chunk order: each task starts after the previous one ended) and the leaves the caller did not
        // know run on another core while this one writes the chunk and fills the next.
        _leafTask = Task.Run(() =>
        {
            sha.AppendData(buf, 0, imageBytes);
            for (var i = 0; i < padded / MerkleTree.BlockSize; i++)
            {
                var b = firstBlock + i;
                if ((known[b >> 6] & (1UL << (int)(b & 63))) != 0) continue;
                MerkleTree.HashLeaf(buf.AsSpan(i * MerkleTree.BlockSize, MerkleTree.BlockSize), leaves.AsSpan(leafOffset + i * Digest.Size, Digest.Size));
            }
        });
        _target.Reach("slot-write");
        _target.Write(_written, buf.AsSpan(0, padded));
        _written += n;
        _current ^= 1;
        _fill = 0;
    }

    /// <summary>Writes the last partial chunk and returns the image's SHA-256, size and leaf digests.</summary>
    public (Digest Sha256, long Size, ReadOnlyMemory<byte> Leaves) Finish()
    {
        Submit();
        _leafTask.Wait();
        Span<byte> h = stackalloc byte[Digest.Size];
        _sha.GetHashAndReset(h);
        var size = Math.Min(_written, ImageSizeLimit ?? long.MaxValue);
        return (Digest.FromSpan(h), size, _leaves.AsMemory(0, (int)(MerkleTree.LeafCount(size) * Digest.Size)));
    }

    public void Dispose()
    {
        try { _leafTask.Wait(); } catch (AggregateException) { }
        _sha.Dispose();
    }
}
