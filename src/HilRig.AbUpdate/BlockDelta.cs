using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using HilRig.Storage;

namespace HilRig.AbUpdate;

public enum DeltaOpKind : byte
{
    /// <summary>Copy blocks from the source slot (any offset).</summary>
    Copy = 1,
    /// <summary>Blocks of zeros.</summary>
    Zero = 2,
    ReplaceRaw = 3,
    ReplaceDeflate = 4,
    ReplaceBrotli = 5,
    /// <summary>New data = source blocks at <c>src</c> XOR the decompressed payload: a block that changed in a few bytes costs a few bytes.</summary>
    XorDeflate = 6,
    XorBrotli = 7,
}

public sealed record DeltaOptions(int BrotliQuality = 11, int BrotliWindow = 24, int MaxReplaceBytes = 4 << 20, string Version = "");

public sealed record DeltaStats(DeltaHeader Header, long CopyBlocks, long ZeroBlocks, long ReplaceBlocks, long DeltaBytes)
{
    public override string ToString() =>
        $"delta {DeltaBytes} bytes: {Header.SourceSha256.Short} → {Header.TargetSha256.Short} ({Header.TargetSize} bytes), " +
        $"{CopyBlocks} blocks copied, {ZeroBlocks} zeroed, {ReplaceBlocks} replaced, {Header.OpCount} ops";
}

/// <summary>
/// Block deltas between two images: per 4 KiB target block, copy it from anywhere in the source (found by hash), write
/// zeros, or replace it with data compressed by the BCL's Brotli or Deflate (whichever is smaller, raw if neither helps)
/// — either the new bytes themselves or their XOR with the source blocks at the same place, whichever is smaller.
/// Ops are in target order and cover the target exactly, so applying streams into the inactive slot with the same
/// incremental hashing as a full install.
/// </summary>
public static class BlockDelta
{
    public static DeltaStats Create(string oldPath, string newPath, string deltaPath, DeltaOptions? options = null)
    {
        using var oldStream = new FileStream(oldPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var newStream = new FileStream(newPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return WriteWhole(deltaPath, output => Create(oldStream, newStream, output, options));
    }

    /// <summary>Writes a file through a temporary one renamed at the end: a failed run leaves nothing half-written.</summary>
    internal static T WriteWhole<T>(string path, Func<Stream, T> write)
    {
        var tmp = path + ".tmp";
        try
        {
            T result;
            using (var output = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite))
                result = write(output);
            File.Move(tmp, path, true);
            return result;
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>Writes a delta from <paramref name="oldImage"/> (seekable) to <paramref name="newImage"/> into <paramref name="output"/> (seekable).</summary>
    public static DeltaStats Create(Stream oldImage, Stream newImage, Stream output, DeltaOptions? options = null)
    {
        options ??= new DeltaOptions();
        const int B = MerkleTree.BlockSize;
        if (!oldImage.CanSeek || !output.CanSeek) throw new ArgumentException("the old image and the output must be seekable");

        // Index the source: digest per block (by index), and first block index per digest.
        var oldSha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var oldDigests = new List<Digest>();
        var byDigest = new Dictionary<Digest, long>();
        var block = new byte[B];
        long oldSize = 0;
        oldImage.Position = 0;
        while (true)
        {
            var n = ReadFull(oldImage, block);
            if (n == 0) break;
            oldSha.AppendData(block, 0, n);
            oldSize += n;
            block.AsSpan(n).Clear();
            var d = Digest.Sha256(block);
            byDigest.TryAdd(d, oldDigests.Count);
            oldDigests.Add(d);
            if (n < B) break;
        }
        if (oldSize == 0) throw new ArgumentException("the old image is empty");

        var newSha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var leaves = new MemoryStream();
        var body = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        output.SetLength(0);
        output.Position = DeltaHeader.Size;
        long ops = 0, copyBlocks = 0, zeroBlocks = 0, replaceBlocks = 0, newSize = 0, blockIndex = 0;

        // The pending run: kind, first target block, count, source start (copy) and data (replace).
        var runKind = (DeltaOpKind)0;
        long runStart = 0, runCount = 0, runSrc = 0;
        var runData = new MemoryStream();

        void Emit(ReadOnlySpan<byte> bytes)
        {
            output.Write(bytes);
            body.AppendData(bytes);
        }

        void FlushRun()
        {
            if (runCount == 0) return;
            Span<byte> head = stackalloc byte[1 + 8 + 4 + 8 + 4];
            BinaryPrimitives.WriteInt64LittleEndian(head[1..], runStart);
            BinaryPrimitives.WriteUInt32LittleEndian(head[9..], (uint)runCount);
            switch (runKind)
            {
                case DeltaOpKind.Copy:
                    head[0] = (byte)DeltaOpKind.Copy;
                    BinaryPrimitives.WriteInt64LittleEndian(head[13..], runSrc);
                    Emit(head[..21]);
                    copyBlocks += runCount;
                    break;
                case DeltaOpKind.Zero:
                    head[0] = (byte)DeltaOpKind.Zero;
                    Emit(head[..13]);
                    zeroBlocks += runCount;
                    break;
                default:
                    var raw = runData.GetBuffer().AsSpan(0, (int)runData.Length);
                    var (kind, payload) = Compress(raw, options, false);
                    if (runStart + runCount <= oldDigests.Count)
                    {
                        // The same blocks of the source, XORed: unchanged bytes become zeros and compress away.
                        var xor = new byte[raw.Length];
                        oldImage.Position = runStart * B;
                        var got = ReadFull(oldImage, xor);
                        xor.AsSpan(got).Clear();
                        for (var i = 0; i < xor.Length; i++) xor[i] ^= raw[i];
                        var (xkind, xpayload) = Compress(xor, options, true);
                        if (xkind != DeltaOpKind.ReplaceRaw && xpayload.Length < payload.Length) (kind, payload) = (xkind, xpayload);
                    }
                    head[0] = (byte)kind;
                    if (kind is DeltaOpKind.XorBrotli or DeltaOpKind.XorDeflate)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(head[13..], runStart);
                        Emit(head[..21]);
                        Span<byte> len = stackalloc byte[4];
                        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)payload.Length);
                        Emit(len);
                    }
                    else
                    {
                        BinaryPrimitives.WriteUInt32LittleEndian(head[13..], (uint)payload.Length);
                        Emit(head[..17]);
                    }
                    Emit(payload);
                    replaceBlocks += runCount;
                    runData.SetLength(0);
                    break;
            }
            ops++;
            runCount = 0;
        }

        newImage.Position = newImage.CanSeek ? 0 : newImage.Position;
        while (true)
        {
            var n = ReadFull(newImage, block);
            if (n == 0) break;
            newSha.AppendData(block, 0, n);
            newSize += n;
            block.AsSpan(n).Clear();
            var d = Digest.Sha256(block);
            leaves.Write(d.ToArray());

            DeltaOpKind kind;
            long src = -1;
            if (blockIndex < oldDigests.Count && oldDigests[(int)blockIndex] == d) { kind = DeltaOpKind.Copy; src = blockIndex; }
            else if (block.AsSpan().IndexOfAnyExcept((byte)0) < 0) kind = DeltaOpKind.Zero;
            else if (byDigest.TryGetValue(d, out var j)) { kind = DeltaOpKind.Copy; src = j; }
            else kind = DeltaOpKind.ReplaceRaw;

            var extends = runCount > 0 && kind == runKind &&
                          (kind != DeltaOpKind.Copy || src == runSrc + runCount) &&
                          (kind != DeltaOpKind.ReplaceRaw || runData.Length + B <= options.MaxReplaceBytes) &&
                          runCount < uint.MaxValue;
            if (!extends)
            {
                FlushRun();
                runKind = kind;
                runStart = blockIndex;
                runSrc = src;
            }
            runCount++;
            if (kind == DeltaOpKind.ReplaceRaw) runData.Write(block);
            blockIndex++;
            if (n < B) break;
        }
        FlushRun();
        if (newSize == 0) throw new ArgumentException("the new image is empty");

        var (_, root) = MerkleTree.Build(leaves.ToArray(), newSize);
        var header = new DeltaHeader(oldSize, Hash(oldSha), newSize, Hash(newSha), root, ops,
            output.Position - DeltaHeader.Size, Hash(body), options.Version);
        output.Position = 0;
        output.Write(header.Serialize());
        output.Flush();
        return new DeltaStats(header, copyBlocks, zeroBlocks, replaceBlocks, DeltaHeader.Size + header.BodyLength);
    }

    private static (DeltaOpKind Kind, byte[] Payload) Compress(ReadOnlySpan<byte> raw, DeltaOptions options, bool xor)
    {
        var best = (DeltaOpKind.ReplaceRaw, raw.ToArray());
        var dest = new byte[BrotliEncoder.GetMaxCompressedLength(raw.Length)];
        using (var enc = new BrotliEncoder(options.BrotliQuality, options.BrotliWindow))
        {
            if (enc.Compress(raw, dest, out _, out var written, true) == System.Buffers.OperationStatus.Done && written < best.Item2.Length)
                best = (xor ? DeltaOpKind.XorBrotli : DeltaOpKind.ReplaceBrotli, dest.AsSpan(0, written).ToArray());
        }
        var ms = new MemoryStream();
        using (var deflate = new DeflateStream(ms, CompressionLevel.SmallestSize, true)) deflate.Write(raw);
        if (ms.Length < best.Item2.Length) best = (xor ? DeltaOpKind.XorDeflate : DeltaOpKind.ReplaceDeflate, ms.ToArray());
        return best;
    }

    private static Digest Hash(IncrementalHash h)
    {
        Span<byte> d = stackalloc byte[Digest.Size];
        h.GetHashAndReset(d);
        return Digest.FromSpan(d);
    }

    internal static int ReadFull(Stream s, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = s.Read(buffer[done..]);
            if (n <= 0) break;
            done += n;
        }
        return done;
    }
}
