using System.Security.Cryptography;
using HilRig.Storage;

namespace HilRig.AbUpdate;

/// <summary>The outcome of a tamper check of one slot.</summary>
public sealed record MerkleReport(
    bool Ok,
    long BlocksChecked,
    IReadOnlyList<long> TamperedBlocks,
    long TamperedCount,
    int CorruptLevel,
    long CorruptNode,
    bool? DataMatchesRoot)
{
    public bool TreeCorrupt => CorruptLevel >= 0;
    public long FirstTamperedBlock => TamperedBlocks.Count > 0 ? TamperedBlocks[0] : -1;

    public string Describe(string where)
    {
        if (Ok) return $"{where}: {BlocksChecked} blocks match the Merkle tree";
        if (TreeCorrupt)
            return $"{where}: Merkle tree corrupt at level {CorruptLevel}, hash block {CorruptNode}" +
                   (DataMatchesRoot is { } d ? d ? " (the data itself still matches the recorded root)" : " (the data does not match the recorded root either)" : "");
        var list = string.Join(", ", TamperedBlocks.Take(16));
        return $"{where}: {TamperedCount} tampered block{(TamperedCount == 1 ? "" : "s")} (4 KiB blocks, index {list}{(TamperedCount > 16 ? ", …" : "")}) of {BlocksChecked} checked";
    }
}

/// <summary>
/// A Merkle tree over a slot's 4 KiB blocks, laid out like dm-verity: level 0 holds one SHA-256 per data block, 128 per
/// 4 KiB hash block; each higher level hashes the blocks of the one below, up to a single top block whose hash is the
/// root kept in boot control. Leaves are SHA-256(block); nodes are SHA-256("HRMT" || hash block), so a hash block can
/// never pass for a data block. The last data block is zero-padded.
/// </summary>
public static class MerkleTree
{
    public const int BlockSize = 4096;
    public const int DigestsPerBlock = BlockSize / Digest.Size;
    private static readonly byte[] NodePrefix = "HRMT"u8.ToArray();
    private const int MaxReported = 64;

    public static long LeafCount(long imageSize) => (imageSize + BlockSize - 1) / BlockSize;

    /// <summary>Hash blocks per level, level 0 first, ending with the single top block.</summary>
    public static long[] LevelBlocks(long imageSize)
    {
        var levels = new List<long>();
        var n = Math.Max(1, LeafCount(imageSize));
        do
        {
            n = (n + DigestsPerBlock - 1) / DigestsPerBlock;
            levels.Add(n);
        } while (n > 1);
        return levels.ToArray();
    }

    /// <summary>Bytes of the stored tree for an image of this size.</summary>
    public static long TreeBytes(long imageSize) => LevelBlocks(imageSize).Sum() * BlockSize;

    private static long LevelStart(long[] levels, int level) => levels.Take(level).Sum() * BlockSize;

    public static void HashLeaf(ReadOnlySpan<byte> block, Span<byte> digest) => SHA256.HashData(block, digest);

    public static Digest HashNode(ReadOnlySpan<byte> hashBlock)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(NodePrefix);
        h.AppendData(hashBlock);
        Span<byte> d = stackalloc byte[Digest.Size];
        h.GetHashAndReset(d);
        return Digest.FromSpan(d);
    }

    /// <summary>
    /// Hashes whole 4 KiB blocks of <paramref name="data"/> (its length a multiple of 4 KiB) into <paramref name="digests"/>
    /// (32 bytes each), on all cores.
    /// </summary>
    public static void HashLeaves(ReadOnlyMemory<byte> data, Memory<byte> digests)
    {
        var blocks = data.Length / BlockSize;
        if (blocks < 64)
        {
            for (var i = 0; i < blocks; i++) HashLeaf(data.Span.Slice(i * BlockSize, BlockSize), digests.Span.Slice(i * Digest.Size, Digest.Size));
            return;
        }
        var parts = Environment.ProcessorCount;
        Parallel.For(0, parts, p =>
        {
            var from = blocks * p / parts;
            var to = blocks * (p + 1) / parts;
            var src = data.Span;
            var dst = digests.Span;
            for (var i = from; i < to; i++) HashLeaf(src.Slice(i * BlockSize, BlockSize), dst.Slice(i * Digest.Size, Digest.Size));
        });
    }

    /// <summary>Builds the stored tree from level-0 digests (32 bytes per data block); returns its bytes and root.</summary>
    public static (byte[] Tree, Digest Root) Build(ReadOnlySpan<byte> leafDigests, long imageSize)
    {
        var levels = LevelBlocks(imageSize);
        if (leafDigests.Length != LeafCount(imageSize) * Digest.Size)
            throw new ArgumentException($"{leafDigests.Length / Digest.Size} leaf digests for an image of {LeafCount(imageSize)} blocks");
        var tree = new byte[levels.Sum() * BlockSize];
        leafDigests.CopyTo(tree);
        for (var l = 1; l < levels.Length; l++)
        {
            var below = LevelStart(levels, l - 1);
            var here = LevelStart(levels, l);
            for (long j = 0; j < levels[l - 1]; j++)
                HashNode(tree.AsSpan((int)(below + j * BlockSize), BlockSize)).WriteTo(tree.AsSpan((int)(here + j * Digest.Size), Digest.Size));
        }
        var top = LevelStart(levels, levels.Length - 1);
        return (tree, HashNode(tree.AsSpan((int)top, BlockSize)));
    }

    /// <summary>The stored tree and root of a whole image held in memory (the last block zero-padded), as an install computes them.</summary>
    public static (byte[] Tree, Digest Root) BuildFromImage(ReadOnlySpan<byte> image)
    {
        if (image.Length == 0) throw new ArgumentException("an empty image has no Merkle tree");
        var padded = new byte[LeafCount(image.Length) * BlockSize];
        image.CopyTo(padded);
        var leaves = new byte[LeafCount(image.Length) * Digest.Size];
        HashLeaves(padded, leaves);
        return Build(leaves, image.Length);
    }

    /// <summary>
    /// Full check: the stored tree against the root, level by level (a mismatch is a corrupt tree, reported by level and
    /// hash block), then every data block against its leaf (a mismatch is a tampered block, reported by index).
    /// </summary>
    public static MerkleReport VerifyFull(IBlockDevice image, IBlockDevice hashArea, long imageSize, Digest root)
    {
        var levels = LevelBlocks(imageSize);
        var tree = hashArea.ReadBytes(0, (int)(levels.Sum() * BlockSize));
        var (corruptLevel, corruptNode) = CheckTree(tree, levels, root);
        var leaves = ComputeLeaves(image, imageSize);
        var blocks = LeafCount(imageSize);
        if (corruptLevel >= 0)
        {
            var (_, computedRoot) = Build(leaves, imageSize);
            return new MerkleReport(false, blocks, [], 0, corruptLevel, corruptNode, computedRoot == root);
        }
        var tampered = new List<long>();
        long count = 0;
        for (long i = 0; i < blocks; i++)
        {
            if (leaves.AsSpan((int)(i * Digest.Size), Digest.Size).SequenceEqual(tree.AsSpan((int)(i * Digest.Size), Digest.Size))) continue;
            count++;
            if (tampered.Count < MaxReported) tampered.Add(i);
        }
        return new MerkleReport(count == 0, blocks, tampered, count, -1, -1, null);
    }

    /// <summary>
    /// Sampled check: <paramref name="samples"/> data blocks chosen by <paramref name="seed"/> (the first and last always),
    /// each against its leaf, and each leaf's path of hash blocks up to the root.
    /// </summary>
    public static MerkleReport VerifySampled(IBlockDevice image, IBlockDevice hashArea, long imageSize, Digest root, int samples, ulong seed)
    {
        var levels = LevelBlocks(imageSize);
        var blocks = LeafCount(imageSize);
        var picks = new SortedSet<long> { 0, blocks - 1 };
        var rng = new SeededRng(seed);
        while (picks.Count < Math.Min(samples, blocks)) picks.Add(rng.NextLong(blocks));

        var verified = new Dictionary<(int, long), byte[]>();
        var top = levels.Length - 1;
        byte[] HashBlock(int level, long index) => hashArea.ReadBytes(LevelStart(levels, level) + index * BlockSize, BlockSize);

        // Returns the verified hash block (level, index), or null with the corrupt position set.
        (int Level, long Node) corrupt = (-1, -1);
        byte[]? Verified(int level, long index)
        {
            if (verified.TryGetValue((level, index), out var ok)) return ok;
            var blk = HashBlock(level, index);
            var h = HashNode(blk);
            if (level == top)
            {
                if (h != root) { corrupt = (level, index); return null; }
            }
            else
            {
                var parent = Verified(level + 1, index / DigestsPerBlock);
                if (parent is null) return null;
                if (Digest.FromSpan(parent.AsSpan((int)(index % DigestsPerBlock * Digest.Size), Digest.Size)) != h)
                {
                    corrupt = (level, index);
                    return null;
                }
            }
            verified[(level, index)] = blk;
            return blk;
        }

        var tampered = new List<long>();
        var block = new byte[BlockSize];
        Span<byte> leaf = stackalloc byte[Digest.Size];
        foreach (var i in picks)
        {
            var l0 = Verified(0, i / DigestsPerBlock);
            if (l0 is null) return new MerkleReport(false, picks.Count, [], 0, corrupt.Level, corrupt.Node, null);
            ReadBlock(image, imageSize, i, block);
            HashLeaf(block, leaf);
            if (!leaf.SequenceEqual(l0.AsSpan((int)(i % DigestsPerBlock * Digest.Size), Digest.Size))) tampered.Add(i);
        }
        return new MerkleReport(tampered.Count == 0, picks.Count, tampered, tampered.Count, -1, -1, null);
    }

    private static (int Level, long Node) CheckTree(byte[] tree, long[] levels, Digest root)
    {
        var top = levels.Length - 1;
        if (HashNode(tree.AsSpan((int)LevelStart(levels, top), BlockSize)) != root) return (top, 0);
        for (var l = top - 1; l >= 0; l--)
        {
            var here = LevelStart(levels, l);
            var parent = LevelStart(levels, l + 1);
            for (long j = 0; j < levels[l]; j++)
            {
                var h = HashNode(tree.AsSpan((int)(here + j * BlockSize), BlockSize));
                if (Digest.FromSpan(tree.AsSpan((int)(parent + j * Digest.Size), Digest.Size)) != h) return (l, j);
            }
        }
        return (-1, -1);
    }

    /// <summary>Level-0 digests of an image read from a device (the last block zero-padded).</summary>
    public static byte[] ComputeLeaves(IBlockDevice image, long imageSize)
    {
        var blocks = LeafCount(imageSize);
        var leaves = new byte[blocks * Digest.Size];
        const int Chunk = 1 << 20;
        var buf = new byte[Chunk];
        for (long pos = 0; pos < blocks * BlockSize; pos += Chunk)
        {
            var n = (int)Math.Min(Chunk, blocks * BlockSize - pos);
            var valid = (int)Math.Clamp(imageSize - pos, 0, n);
            image.Read(pos, buf.AsSpan(0, valid));
            buf.AsSpan(valid, n - valid).Clear();
            HashLeaves(buf.AsMemory(0, n), leaves.AsMemory((int)(pos / BlockSize * Digest.Size), n / BlockSize * Digest.Size));
        }
        return leaves;
    }

    /// <summary>Reads data block <paramref name="index"/>, zero-padding past the image end.</summary>
    public static void ReadBlock(IBlockDevice image, long imageSize, long index, Span<byte> block)
    {
        var pos = index * BlockSize;
        var valid = (int)Math.Clamp(imageSize - pos, 0, BlockSize);
        image.Read(pos, block[..valid]);
        block[valid..].Clear();
    }
}
