using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Security.Cryptography;
using HilRig.AbUpdate.Delta;
using HilRig.Storage;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace HilRig.AbUpdate;

/// <summary>
/// Applies a delta body into the inactive slot, block by block in target order (so the slot writer hashes as it goes),
/// reading only the active slot. Every op is checked before it acts: where it reads (inside the source), where it writes
/// (the next target block, inside the target), how much memory it needs (within what the header declared); a patch's
/// output is checked against its hash before any of it is written. A failure names the op index and the reason.
/// </summary>
internal static class DeltaApplier
{
    private const int B = MerkleTree.BlockSize;

    private static readonly byte[] ZeroLeaf = Digest.Sha256(new byte[B]).ToArray();

    /// <summary>Applies the body; <paramref name="sourceLeaves"/> are the verified leaf digests of the source slot.</summary>
    public static void Apply(DeltaBodyReader reader, DeltaHeader header, SlotWriter writer, IBlockDevice source, ReadOnlySpan<byte> sourceLeaves, string name)
    {
        if (header.FormatVersion == 1) ApplyV1(reader, header, writer, source, name);
        else ApplyV2(reader, header, writer, source, sourceLeaves.ToArray(), name);
    }

    /// <summary>Format 1: block ops in target order, each payload compressed on its own (Brotli or Deflate).</summary>
    private static void ApplyV1(DeltaBodyReader reader, DeltaHeader header, SlotWriter writer, IBlockDevice source, string name)
    {
        var targetBlocks = MerkleTree.LeafCount(header.TargetSize);
        var sourceBlocks = MerkleTree.LeafCount(header.SourceSize);
        long next = 0;
        Span<byte> head = stackalloc byte[20];
        for (long op = 0; op < header.OpCount; op++)
        {
            var at = DeltaHeader.Size + reader.Consumed;
            reader.ReadExactly(head[..13]);
            var kind = (DeltaOpKind)head[0];
            var dst = BinaryPrimitives.ReadInt64LittleEndian(head[1..]);
            var count = (long)BinaryPrimitives.ReadUInt32LittleEndian(head[9..]);
            if (dst != next || count == 0 || dst + count > targetBlocks)
                throw new DeltaFormatException($"{name}: op {op} at offset {at} covers target blocks {dst}..{dst + count - 1}, expected to start at {next} within {targetBlocks} blocks");
            switch (kind)
            {
                case DeltaOpKind.Copy:
                {
                    reader.ReadExactly(head[..8]);
                    var from = BinaryPrimitives.ReadInt64LittleEndian(head);
                    if (from < 0 || from + count > sourceBlocks)
                        throw new DeltaFormatException($"{name}: op {op} at offset {at} copies source blocks {from}..{from + count - 1}, outside the {sourceBlocks}-block source");
                    var pos = from * B;
                    var bytes = count * B;
                    while (bytes > 0)
                    {
                        var n = (int)Math.Min(bytes, writer.FreeSpace.Length);
                        var valid = (int)Math.Clamp(header.SourceSize - pos, 0, n);
                        source.Read(pos, writer.FreeSpace[..valid]);
                        writer.FreeSpace[valid..n].Clear();
                        writer.Advance(n);
                        pos += n;
                        bytes -= n;
                    }
                    break;
                }
                case DeltaOpKind.Zero:
                    writer.AppendZeros(count * B);
                    break;
                case DeltaOpKind.XorDeflate:
                case DeltaOpKind.XorBrotli:
                {
                    reader.ReadExactly(head[..12]);
                    var from = BinaryPrimitives.ReadInt64LittleEndian(head);
                    var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                    if (from < 0 || from + count > sourceBlocks)
                        throw new DeltaFormatException($"{name}: op {op} at offset {at} XORs source blocks {from}..{from + count - 1}, outside the {sourceBlocks}-block source");
                    if (payloadLength > reader.Remaining)
                        throw new InstallRefusedException($"{name}: delta truncated: op {op} at offset {at} needs {payloadLength} payload bytes, {reader.Remaining} remain");
                    if (count * B > int.MaxValue) throw new DeltaFormatException($"{name}: op {op} at offset {at} covers {count} blocks, too many for one op");
                    var payload = new byte[payloadLength];
                    reader.ReadExactly(payload);
                    var data = Decompress(payload, (int)(count * B), kind == DeltaOpKind.XorBrotli, name, op, at);
                    var old = new byte[data.Length];
                    var pos = from * B;
                    source.Read(pos, old.AsSpan(0, (int)Math.Clamp(header.SourceSize - pos, 0, old.Length)));
                    for (var i = 0; i < data.Length; i++) data[i] ^= old[i];
                    writer.Append(data);
                    break;
                }
                case DeltaOpKind.ReplaceRaw:
                case DeltaOpKind.ReplaceDeflate:
                case DeltaOpKind.ReplaceBrotli:
                {
                    reader.ReadExactly(head[..4]);
                    var payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(head);
                    if (payloadLength > reader.Remaining)
                        throw new InstallRefusedException($"{name}: delta truncated: op {op} at offset {at} needs {payloadLength} payload bytes, {reader.Remaining} remain");
                    var payload = new byte[payloadLength];
                    reader.ReadExactly(payload);
                    var expected = count * B;
                    if (expected > int.MaxValue) throw new DeltaFormatException($"{name}: op {op} at offset {at} replaces {count} blocks, too many for one op");
                    var data = kind switch
                    {
                        DeltaOpKind.ReplaceRaw => payload,
                        DeltaOpKind.ReplaceBrotli => Decompress(payload, (int)expected, true, name, op, at),
                        _ => Decompress(payload, (int)expected, false, name, op, at),
                    };
                    if (data.Length != expected)
                        throw new DeltaFormatException($"{name}: op {op} at offset {at} yields {data.Length} bytes for {count} blocks ({expected} bytes)");
                    writer.Append(data);
                    break;
                }
                default:
                    throw new DeltaFormatException($"{name}: op {op} at offset {at} has unknown kind {(byte)kind}");
            }
            next = dst + count;
        }
        if (next != targetBlocks)
            throw new DeltaFormatException($"{name}: delta ops cover {next} of the target's {targetBlocks} blocks");
    }

    private static byte[] Decompress(byte[] payload, int expected, bool brotli, string name, long op, long at)
    {
        var output = new byte[expected];
        try
        {
            if (brotli)
            {
                if (!BrotliDecoder.TryDecompress(payload, output, out var written) || written != expected)
                    throw new DeltaFormatException($"{name}: op {op} at offset {at}: Brotli payload does not decompress to {expected} bytes");
                return output;
            }
            using var d = new DeflateStream(new MemoryStream(payload), CompressionMode.Decompress);
            var n = BlockDelta.ReadFull(d, output);
            if (n != expected || d.ReadByte() >= 0)
                throw new DeltaFormatException($"{name}: op {op} at offset {at}: Deflate payload does not decompress to {expected} bytes");
            return output;
        }
        catch (InvalidDataException e)
        {
            throw new DeltaFormatException($"{name}: op {op} at offset {at}: corrupt compressed payload ({e.Message})");
        }
    }

    /// <summary>
    /// Format 2: one zstd stream of ops. COPY and ZERO write blocks at the cursor; PATCH rebuilds a buffer of new blocks from
    /// a byte-level patch against source extents and checks its hash; PUT writes blocks of a live buffer at the cursor.
    /// </summary>
    private static void ApplyV2(DeltaBodyReader reader, DeltaHeader header, SlotWriter writer, IBlockDevice source, byte[] sourceLeaves, string name)
    {
        var targetBlocks = MerkleTree.LeafCount(header.TargetSize);
        var sourceBlocks = MerkleTree.LeafCount(header.SourceSize);
        var buffers = new Dictionary<long, PatchBuffer>();
        long live = 0, cursor = 0, op = 0;
        var decoder = new DecompressionStream(reader.AsStream(), 1 << 17, checkEndOfStream: true, leaveOpen: true);
        decoder.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, header.WindowLog);
        var ops = new OpStreamReader(decoder, name);
        DeltaFormatException Bad(string what) => new($"{name}: op {op} at op-stream offset {ops.Offset}: {what}");
        try
        {
            for (; op < header.OpCount; op++)
            {
                ops.Op = op;
                var kind = (PatchOpKind)ops.Byte();
                switch (kind)
                {
                    case PatchOpKind.Copy:
                    {
                        var count = WriteCount(ops, cursor, targetBlocks, Bad);
                        var from = cursor + ops.SVar("source offset");
                        if (from < 0 || from + count > sourceBlocks)
                            throw Bad($"COPY reads source blocks {from}..{from + count - 1}, outside the {sourceBlocks}-block source");
                        var pos = from * B;
                        var bytes = count * B;
                        while (bytes > 0)
                        {
                            var n = (int)Math.Min(bytes, writer.FreeSpace.Length);
                            // A copied block's leaf is its source block's, hashed when the source was verified.
                            writer.KnownLeaves(sourceLeaves.AsSpan((int)(pos / B * Digest.Size), n / B * Digest.Size));
                            ReadSource(source, header.SourceSize, pos, writer.FreeSpace[..n]);
                            writer.Advance(n);
                            pos += n;
                            bytes -= n;
                        }
                        cursor += count;
                        break;
                    }
                    case PatchOpKind.Zero:
                    {
                        var count = WriteCount(ops, cursor, targetBlocks, Bad);
                        for (long i = 0; i < count; i++)
                        {
                            writer.KnownLeaves(ZeroLeaf);
                            writer.AppendZeros(B);
                        }
                        cursor += count;
                        break;
                    }
                    case PatchOpKind.Patch:
                    {
                        var buffer = ReadPatch(ops, header, source, sourceBlocks, cursor, live, Bad);
                        buffers[op] = buffer;
                        live += buffer.Data.Length;
                        break;
                    }
                    case PatchOpKind.Put:
                    {
                        var back = ops.Count("patch reference", op);
                        if (back == 0 || !buffers.TryGetValue(op - back, out var buffer))
                            throw Bad($"PUT refers to op {op - back}, which is not a patch with blocks left to put");
                        var offset = ops.Count("buffer offset", buffer.Blocks - 1);
                        var count = WriteCount(ops, cursor, targetBlocks, Bad);
                        if (offset + count > buffer.Blocks)
                            throw Bad($"PUT writes blocks {offset}..{offset + count - 1} of op {op - back}'s {buffer.Blocks}-block output");
                        for (var i = offset; i < offset + count; i++)
                            if (!buffer.Put.Add(i)) throw Bad($"PUT writes block {i} of op {op - back}'s output a second time");
                        for (var i = offset; i < offset + count; i++)
                        {
                            writer.KnownLeaves(buffer.Leaves.AsSpan((int)(i * Digest.Size), Digest.Size));
                            writer.Append(buffer.Data.AsSpan((int)(i * B), B));
                        }
                        cursor += count;
                        if (buffer.Put.Count == buffer.Blocks)
                        {
                            buffers.Remove(op - back);
                            live -= buffer.Data.Length;
                        }
                        break;
                    }
                    default:
                        throw Bad($"unknown op kind {(byte)kind}");
                }
            }
            if (cursor != targetBlocks) throw new DeltaFormatException($"{name}: delta ops cover {cursor} of the target's {targetBlocks} blocks");
            if (buffers.Count > 0)
                throw new DeltaFormatException($"{name}: the ops end with {buffers.Count} patch outputs never fully written (first: op {buffers.Keys.Min()})");
            if (ops.Offset != header.OpStreamBytes || !ops.AtEnd)
                throw new DeltaFormatException($"{name}: the op stream goes on after its last op (op {op}, offset {ops.Offset}; the header declares {header.OpStreamBytes} bytes)");
        }
        catch (ZstdException e)
        {
            throw new DeltaFormatException($"{name}: op {op}: the compressed op stream is corrupt at body offset {reader.Consumed} ({e.Message})");
        }
    }

    /// <summary>Walks the add regions of a patch's steps (the output ranges that old bytes plus diff bytes fill), in order.</summary>
    private sealed class AddRegions(DiffControl[] controls)
    {
        private int _control = -1;
        private int _left;
        private int _outAt;

        private void Advance()
        {
            while (_left == 0)
            {
                if (_control >= 0) _outAt += controls[_control].Add + controls[_control].Copy;
                _control++;
                _left = controls[_control].Add;
            }
        }

        public void Skip(int n)
        {
            while (n > 0)
            {
                Advance();
                var k = Math.Min(n, _left);
                _left -= k;
                n -= k;
            }
        }

        /// <summary>The output offset and length of the next piece of add region, at most <paramref name="max"/> bytes.</summary>
        public (int At, int Length) Next(int max)
        {
            Advance();
            var k = Math.Min(max, _left);
            var at = _outAt + controls[_control].Add - _left;
            _left -= k;
            return (at, k);
        }
    }

    private sealed class PatchBuffer(byte[] data, byte[] leaves)
    {
        public byte[] Data { get; } = data;
        public byte[] Leaves { get; } = leaves;
        public long Blocks => Data.Length / B;
        public HashSet<long> Put { get; } = new();
    }

    private static long WriteCount(OpStreamReader ops, long cursor, long targetBlocks, Func<string, DeltaFormatException> bad)
    {
        var count = ops.Count("block count", long.MaxValue / B);
        if (count == 0 || cursor + count > targetBlocks)
            throw bad($"writes target blocks {cursor}..{cursor + count - 1}, past the target's {targetBlocks} blocks");
        return count;
    }

    /// <summary>Reads a PATCH op and rebuilds its output: diff bytes into their places, extra bytes into theirs, then the old bytes added.</summary>
    private static PatchBuffer ReadPatch(OpStreamReader ops, DeltaHeader header, IBlockDevice source, long sourceBlocks, long cursor, long live,
        Func<string, DeltaFormatException> bad)
    {
        var room = header.PeakBufferBytes - live;
        var outBlocks = ops.Count("output blocks", long.MaxValue / B);
        var outBytes = outBlocks * B;
        if (outBlocks == 0 || outBytes > room || outBytes > int.MaxValue)
            throw bad($"PATCH needs {outBytes} bytes of buffer; the delta declared a peak of {header.PeakBufferBytes} and {live} are held");
        var extentCount = ops.Count("source extent count", sourceBlocks);
        var extents = new (long Start, long Count)[extentCount];
        long prev = cursor, oldLength = 0;
        for (var i = 0; i < extentCount; i++)
        {
            var start = prev + ops.SVar("source extent");
            var count = ops.Count("source extent length", sourceBlocks);
            if (start < 0 || count == 0 || start + count > sourceBlocks)
                throw bad($"PATCH reads source blocks {start}..{start + count - 1}, outside the {sourceBlocks}-block source");
            extents[i] = (start, count);
            oldLength += count * B;
            prev = start + count;
        }
        Span<byte> expected = stackalloc byte[8];
        ops.Bytes(expected);
        // Controls cost 16 bytes each while the output is built; the generator counted them in the declared peak.
        var controlCount = ops.Count("step count", (room - outBytes) / 16);
        var controls = new DiffControl[controlCount];
        long adds = 0, copies = 0;
        for (var i = 0; i < controlCount; i++)
        {
            var add = ops.Count("step add length", outBytes);
            var copy = ops.Count("step extra length", outBytes);
            var seek = ops.SVar("step seek");
            adds += add;
            copies += copy;
            if (adds + copies > outBytes) throw bad($"PATCH steps produce more than its {outBytes}-byte output");
            controls[i] = new DiffControl((int)add, (int)copy, seek);
        }
        if (adds + copies != outBytes) throw bad($"PATCH steps produce {adds + copies} bytes, its output is {outBytes}");
        var runCount = ops.Count("diff run count", Math.Min(adds, (room - outBytes - 16 * controlCount) / 8));
        var runs = new (int Zeros, int Literals)[runCount];
        long covered = 0;
        for (var i = 0; i < runCount; i++)
        {
            var zeros = ops.Count("diff zero run", adds);
            var literals = ops.Count("diff literal run", adds);
            covered += zeros + literals;
            if (covered > adds) throw bad($"PATCH diff runs cover more than its {adds} diff bytes");
            runs[i] = ((int)zeros, (int)literals);
        }
        if (covered != adds) throw bad($"PATCH diff runs cover {covered} bytes, its steps add {adds}");

        // Diff bytes land in the add regions (zeros are already there), extra bytes in the copy regions.
        var output = new byte[outBytes];
        var regions = new AddRegions(controls);
        foreach (var (zeros, literals) in runs)
        {
            regions.Skip(zeros);
            for (var left = literals; left > 0;)
            {
                var (at0, n) = regions.Next(left);
                ops.Bytes(output.AsSpan(at0, n));
                left -= n;
            }
        }
        var at = 0;
        foreach (var c in controls)
        {
            at += c.Add;
            ops.Bytes(output.AsSpan(at, c.Copy));
            at += c.Copy;
        }
        long oldPos = 0;
        at = 0;
        var old = new byte[64 * 1024];
        for (var k = 0; k < controls.Length; k++)
        {
            var c = controls[k];
            if (oldPos < 0 || oldPos + c.Add > oldLength)
                throw bad($"PATCH step {k} reads old bytes {oldPos}..{oldPos + c.Add}, outside its {oldLength}-byte source");
            for (var done = 0; done < c.Add;)
            {
                var n = ReadOld(source, header.SourceSize, extents, oldPos + done, old.AsSpan(0, Math.Min(old.Length, c.Add - done)));
                AddBytes(output.AsSpan(at + done, n), old.AsSpan(0, n));
                done += n;
            }
            at += c.Add + c.Copy;
            oldPos += c.Add + c.Seek;
        }
        // The output's leaves (on all cores) are both its check value and, once put, the slot's Merkle leaves.
        var leaves = new byte[outBlocks * Digest.Size];
        MerkleTree.HashLeaves(output, leaves);
        Span<byte> actual = stackalloc byte[Digest.Size];
        SHA256.HashData(leaves, actual);
        if (!actual[..8].SequenceEqual(expected))
            throw new InstallRefusedException(bad($"PATCH output ({outBlocks} blocks for target block {cursor} on) hashes to {Convert.ToHexStringLower(actual[..8])}, the delta says {Convert.ToHexStringLower(expected)}").Message);
        return new PatchBuffer(output, leaves);
    }

    /// <summary>dst[i] += src[i] (mod 256), a vector at a time.</summary>
    private static void AddBytes(Span<byte> dst, ReadOnlySpan<byte> src)
    {
        var i = 0;
        for (; i <= dst.Length - Vector<byte>.Count; i += Vector<byte>.Count)
            (new Vector<byte>(dst[i..]) + new Vector<byte>(src[i..])).CopyTo(dst[i..]);
        for (; i < dst.Length; i++) dst[i] += src[i];
    }

    /// <summary>Reads old bytes at a virtual offset of a patch's source (its extents one after the other), up to the end of the extent.</summary>
    private static int ReadOld(IBlockDevice source, long sourceSize, (long Start, long Count)[] extents, long offset, Span<byte> buffer)
    {
        foreach (var (start, count) in extents)
        {
            var length = count * B;
            if (offset < length)
            {
                var n = (int)Math.Min(buffer.Length, length - offset);
                ReadSource(source, sourceSize, start * B + offset, buffer[..n]);
                return n;
            }
            offset -= length;
        }
        throw new InvalidOperationException("offset checked against the source length");
    }

    /// <summary>Source bytes at a position; what lies past the source image (the rest of its last block) reads as zeros.</summary>
    private static void ReadSource(IBlockDevice source, long sourceSize, long pos, Span<byte> buffer)
    {
        var valid = (int)Math.Clamp(sourceSize - pos, 0, buffer.Length);
        if (valid > 0) source.Read(pos, buffer[..valid]);
        buffer[valid..].Clear();
    }
}
