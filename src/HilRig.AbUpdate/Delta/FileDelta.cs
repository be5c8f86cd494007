using System.Diagnostics;
using System.Security.Cryptography;
using HilRig.AbUpdate.Ext4;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace HilRig.AbUpdate.Delta;

public sealed record FileDeltaOptions
{
    public string Version { get; init; } = "";

    /// <summary>zstd level of the op stream (19: the best of the non-ultra levels).</summary>
    public int Level { get; init; } = 19;

    /// <summary>zstd window, log2 bytes: what the device's decoder must hold (23: 8 MiB).</summary>
    public int WindowLog { get; init; } = 23;

    /// <summary>Most new bytes one patch produces; a larger file is patched in windows of this size.</summary>
    public int MaxPatchBytes { get; init; } = 16 << 20;

    /// <summary>Most old bytes one patch is diffed against (the suffix array takes about 14 bytes per byte).</summary>
    public int MaxReferenceBytes { get; init; } = 32 << 20;

    /// <summary>Worker threads for the per-file diffs and the compression (0: one per core). The output does not depend on it.</summary>
    public int Threads { get; init; }

    /// <summary>Read the ext4 filesystems of both images; false forces the block + byte-level fallback.</summary>
    public bool FileAware { get; init; } = true;
}

/// <summary>What <see cref="FileDelta.Create(string, string, string, FileDeltaOptions?)"/> made, and how.</summary>
public sealed record FileDeltaStats(DeltaHeader Header, long DeltaBytes, string Mode, TimeSpan Elapsed)
{
    public long CopyBlocks { get; init; }
    public long ZeroBlocks { get; init; }
    /// <summary>Blocks written from patch output (files and the rest).</summary>
    public long PatchBlocks { get; init; }
    public int FilesPatched { get; init; }
    public int PairedByPath { get; init; }
    public int PairedByName { get; init; }
    public int FilesWithoutReference { get; init; }
    public int MetadataPatches { get; init; }
    public long OpStreamBytes => Header.OpStreamBytes;

    public override string ToString() =>
        $"delta {DeltaBytes} bytes (format 2, {Mode}): {Header.SourceSha256.Short} → {Header.TargetSha256.Short} ({Header.TargetSize} bytes); " +
        $"{CopyBlocks} blocks copied, {ZeroBlocks} zeroed, {PatchBlocks} patched; files patched {FilesPatched} " +
        $"({PairedByPath} by path, {PairedByName} by similar name, {FilesWithoutReference} without a reference), {MetadataPatches} metadata patches; " +
        $"{Header.OpCount} ops, peak buffer {Header.PeakBufferBytes} bytes, made in {Elapsed.TotalSeconds:0.0} s";
}

/// <summary>
/// Format-2 deltas: file-aware, byte-level. Both images' ext4 filesystems are read; every new file whose blocks are not
/// all found in the old image is paired with its old version (<see cref="FilePairing"/>) and rebuilt by a byte-level
/// patch (<see cref="ByteDiff"/>) against the old file's blocks; the blocks no file owns (inode tables, bitmaps,
/// directories' neighbours, the journal) are copied, zeroed, or patched against the old blocks at the same place. An
/// image that is not ext4 falls back to block matching plus a byte-level patch of every changed run against the whole
/// old image (or, when it is large, its neighbourhood). The ops, in target order, form one stream compressed with zstd;
/// the device rebuilds the slot block by block in order, reading only the active slot. The same inputs always give the
/// same bytes, however many threads made them.
/// </summary>
public static class FileDelta
{
    /// <summary>The op stream is compressed in independent zstd frames of about this size, so cores can share the work.</summary>
    private const int FrameBytes = 16 << 20;
    public static FileDeltaStats Create(string oldPath, string newPath, string deltaPath, FileDeltaOptions? options = null)
    {
        using var oldImage = ImageReader.FromFile(oldPath);
        using var newImage = ImageReader.FromFile(newPath);
        return BlockDelta.WriteWhole(deltaPath, output => Create(oldImage, newImage, output, options));
    }

    public static FileDeltaStats Create(Stream oldImage, Stream newImage, Stream output, FileDeltaOptions? options = null)
    {
        using var o = ImageReader.FromStream(oldImage, "old image");
        using var n = ImageReader.FromStream(newImage, "new image");
        return Create(o, n, output, options);
    }

    public static FileDeltaStats Create(ImageReader oldImage, ImageReader newImage, Stream output, FileDeltaOptions? options = null)
    {
        options ??= new FileDeltaOptions();
        var clock = Stopwatch.StartNew();
        if (oldImage.Length == 0) throw new ArgumentException($"{oldImage.Name}: the old image is empty");
        if (newImage.Length == 0) throw new ArgumentException($"{newImage.Name}: the new image is empty");
        if (!output.CanSeek) throw new ArgumentException("the delta output must be seekable");
        var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;

        var oldHashes = BlockHashes.Of(oldImage, threads);
        var newHashes = BlockHashes.Of(newImage, threads);
        var plan = new DeltaPlan(oldImage, newImage, oldHashes, newHashes, options);
        plan.Build();
        plan.Diff(threads);

        var ops = new MemoryStream();
        var writer = new OpStreamWriter(ops);
        var emitted = plan.Emit(writer);
        var (body, bodySha) = Compress(ops, emitted.FrameStarts, options, threads);

        var (_, root) = MerkleTree.Build(newHashes.Leaves, newImage.Length);
        var header = new DeltaHeader(oldImage.Length, oldHashes.ImageSha256, newImage.Length, newHashes.ImageSha256, root,
            emitted.OpCount, body.Length, bodySha, options.Version)
        {
            FormatVersion = 2,
            Codec = DeltaHeader.CodecZstd,
            WindowLog = options.WindowLog,
            PeakBufferBytes = emitted.PeakBufferBytes,
            OpStreamBytes = ops.Length,
        };
        output.SetLength(0);
        output.Write(header.Serialize());
        body.Position = 0;
        body.CopyTo(output);
        output.Flush();
        return new FileDeltaStats(header, DeltaHeader.Size + body.Length, plan.Mode, clock.Elapsed)
        {
            CopyBlocks = emitted.CopyBlocks,
            ZeroBlocks = emitted.ZeroBlocks,
            PatchBlocks = emitted.PatchBlocks,
            FilesPatched = plan.FilesPatched,
            PairedByPath = plan.PairedByPath,
            PairedByName = plan.PairedByName,
            FilesWithoutReference = plan.FilesWithoutReference,
            MetadataPatches = plan.MetadataPatches,
        };
    }

    /// <summary>Compresses the op stream as independent zstd frames cut at op boundaries every ~16 MiB, on all cores.</summary>
    private static (MemoryStream Body, Digest Sha256) Compress(MemoryStream ops, List<long> opStarts, FileDeltaOptions options, int threads)
    {
        var cuts = new List<long> { 0 };
        foreach (var start in opStarts)
            if (start - cuts[^1] >= FrameBytes) cuts.Add(start);
        cuts.Add(ops.Length);
        var data = ops.GetBuffer();
        var frames = new byte[cuts.Count - 1][];
        Parallel.For(0, frames.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            using var compressor = new Compressor(options.Level);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_windowLog, options.WindowLog);
            compressor.SetParameter(ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
            frames[i] = compressor.Wrap(data.AsSpan((int)cuts[i], (int)(cuts[i + 1] - cuts[i]))).ToArray();
        });
        var body = new MemoryStream();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in frames)
        {
            body.Write(f);
            sha.AppendData(f);
        }
        return (body, Digest.FromSpan(sha.GetHashAndReset()));
    }
}

/// <summary>SHA-256 of every 4 KiB block of an image (the last one zero-padded), the image's own SHA-256, and a block finder.</summary>
internal sealed class BlockHashes
{
    private BlockHashes(byte[] leaves, Digest imageSha256)
    {
        Leaves = leaves;
        ImageSha256 = imageSha256;
        Count = leaves.Length / Digest.Size;
    }

    public byte[] Leaves { get; }
    public Digest ImageSha256 { get; }
    public long Count { get; }

    public static readonly Digest ZeroBlock = Digest.Sha256(new byte[MerkleTree.BlockSize]);

    public Digest this[long block] => Digest.FromSpan(Leaves.AsSpan((int)(block * Digest.Size), Digest.Size));

    /// <summary>The first block of each content, built on first use.</summary>
    public Dictionary<Digest, long> FirstIndex => _first ??= BuildIndex();
    private Dictionary<Digest, long>? _first;

    private Dictionary<Digest, long> BuildIndex()
    {
        var d = new Dictionary<Digest, long>();
        for (long i = 0; i < Count; i++) d.TryAdd(this[i], i);
        return d;
    }

    public static BlockHashes Of(ImageReader image, int threads)
    {
        const int Chunk = 1 << 20;
        var blocks = image.Blocks;
        if (blocks * Digest.Size > int.MaxValue) throw new ArgumentException($"{image.Name}: {image.Length} bytes is too large for one delta");
        var leaves = new byte[blocks * Digest.Size];
        var chunks = (image.Length + Chunk - 1) / Chunk;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // The image hash is sequential; the leaves of each chunk are hashed by the other cores meanwhile.
        var pending = new List<Task>();
        var buffers = new System.Collections.Concurrent.ConcurrentBag<byte[]>();
        using var gate = new SemaphoreSlim(Math.Max(1, threads));
        for (long c = 0; c < chunks; c++)
        {
            gate.Wait();
            var buffer = buffers.TryTake(out var b) ? b : new byte[Chunk];
            var offset = c * Chunk;
            var n = (int)Math.Min(Chunk, image.Length - offset);
            image.ReadAt(offset, buffer.AsSpan(0, n));
            sha.AppendData(buffer, 0, n);
            var padded = (int)HilRig.Storage.BlockDevice.AlignUp(n, MerkleTree.BlockSize);
            buffer.AsSpan(n, padded - n).Clear();
            var first = offset / MerkleTree.BlockSize;
            pending.Add(Task.Run(() =>
            {
                try
                {
                    for (var i = 0; i < padded / MerkleTree.BlockSize; i++)
                        MerkleTree.HashLeaf(buffer.AsSpan(i * MerkleTree.BlockSize, MerkleTree.BlockSize),
                            leaves.AsSpan((int)((first + i) * Digest.Size), Digest.Size));
                    buffers.Add(buffer);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        Task.WaitAll(pending);
        return new BlockHashes(leaves, Digest.FromSpan(sha.GetHashAndReset()));
    }
}
