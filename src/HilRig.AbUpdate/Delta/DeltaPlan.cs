using System.Security.Cryptography;
using HilRig.AbUpdate.Ext4;

namespace HilRig.AbUpdate.Delta;

/// <summary>
/// One byte-level patch of a delta: it rebuilds the new blocks <see cref="Targets"/> (in this order) from the old bytes of
/// <see cref="Source"/> (4 KiB block extents of the old image, read one after the other as one string).
/// </summary>
internal sealed class PatchUnit
{
    public required long[] Targets { get; init; }
    public required (long Start, long Count)[] Source { get; init; }
    /// <summary>Units with the same key share their source, and its suffix array is built once.</summary>
    public required string SourceKey { get; init; }
    public bool IsFile { get; init; }
    public ByteDiff? Diff { get; set; }
    public List<(int Zeros, int Literals)> Runs { get; set; } = [];
    public byte[] OutputHash { get; set; } = [];
    public long OutputBytes => Targets.LongLength * MerkleTree.BlockSize;
    public long SourceBlocks => Source.Sum(s => s.Count);
}

/// <summary>What <see cref="DeltaPlan.Emit"/> wrote.</summary>
internal sealed record EmitResult(long OpCount, long PeakBufferBytes, long CopyBlocks, long ZeroBlocks, long PatchBlocks, List<long> FrameStarts);

/// <summary>Decides, for every block of the new image, where it comes from; then diffs and writes the op stream.</summary>
internal sealed class DeltaPlan(ImageReader oldImage, ImageReader newImage, BlockHashes oldHashes, BlockHashes newHashes, FileDeltaOptions options)
{
    private const int B = MerkleTree.BlockSize;
    private const int RunGapBlocks = 8;
    private const int NeighbourBlocks = 256;
    private const long WholeImageReferenceBytes = 64L << 20;

    private readonly List<PatchUnit> _units = new();
    private int[] _unitOf = [];
    private int[] _outIndex = [];

    public string Mode { get; private set; } = "";
    public int FilesPatched { get; private set; }
    public int PairedByPath { get; private set; }
    public int PairedByName { get; private set; }
    public int FilesWithoutReference { get; private set; }
    public int MetadataPatches { get; private set; }

    private long TargetBlocks => newHashes.Count;
    private int MaxPatchBlocks => Math.Max(1, options.MaxPatchBytes / B);

    /// <summary>A new block that no copy and no zero op can produce.</summary>
    private bool IsNew(long block)
    {
        var d = newHashes[block];
        return d != BlockHashes.ZeroBlock && !oldHashes.FirstIndex.ContainsKey(d);
    }

    public void Build()
    {
        if (TargetBlocks > int.MaxValue) throw new ArgumentException($"{newImage.Name}: too many blocks for one delta");
        _unitOf = new int[TargetBlocks];
        _outIndex = new int[TargetBlocks];
        Array.Fill(_unitOf, -1);
        var owned = new bool[TargetBlocks];
        string? why = null;
        if (!options.FileAware) why = "file-aware diffing turned off";
        else
            try
            {
                why = PlanFiles(owned);
            }
            catch (Ext4FormatException e)
            {
                why = e.Message;
                Array.Fill(_unitOf, -1);
                Array.Clear(owned);
                _units.Clear();
                FilesPatched = PairedByPath = PairedByName = FilesWithoutReference = 0;
            }
        Mode = why is null ? "ext4, file-aware" : $"block + byte-level ({why})";
        PlanRest(owned, whole: why is not null);
    }

    /// <summary>Plans a patch per changed file; returns why the images cannot be read as ext4, or null.</summary>
    private string? PlanFiles(bool[] owned)
    {
        if (!Ext4Filesystem.LooksLikeExt(newImage)) return "the new image is not ext2/3/4";
        if (!Ext4Filesystem.LooksLikeExt(oldImage)) return "the old image is not ext2/3/4";
        var oldFs = Ext4Filesystem.Open(oldImage);
        var newFs = Ext4Filesystem.Open(newImage);
        if (oldFs.BlockSize != B || newFs.BlockSize != B)
            return $"filesystem block size {newFs.BlockSize}/{oldFs.BlockSize} bytes; file-aware deltas need {B}";
        var oldEntries = oldFs.ReadEntries();
        var newEntries = newFs.ReadEntries();
        var pairing = new FilePairing(oldEntries);

        foreach (var entry in newEntries)
        {
            if (entry.DataBlocks == 0) continue;
            var targets = DataBlocks(entry).ToArray();
            foreach (var t in targets)
            {
                if (t >= TargetBlocks) throw new Ext4FormatException($"{newImage.Name}: {entry.Path} uses block {t}, past the end of the image");
                if (owned[t]) throw new Ext4FormatException($"{newImage.Name}: block {t} belongs to two files (one is {entry.Path})");
                owned[t] = true;
            }
            if (!targets.Any(IsNew)) continue;   // every block exists somewhere in the old image: copies and zeros

            var (old, how) = pairing.Find(entry);
            FilesPatched++;
            if (how == PairedBy.Path) PairedByPath++;
            else if (how == PairedBy.SimilarName) PairedByName++;
            else FilesWithoutReference++;
            var oldBlocks = old is null ? [] : DataBlocks(old).ToArray();
            for (var w = 0; w < targets.Length; w += MaxPatchBlocks)
            {
                var window = targets.AsSpan(w, Math.Min(MaxPatchBlocks, targets.Length - w)).ToArray();
                if (!window.Any(IsNew)) continue;
                // A reference larger than the limit is cut to the same part of the old file (plus a margin).
                var maxRef = options.MaxReferenceBytes / B;
                var from = oldBlocks.Length <= maxRef ? 0 : Math.Clamp(w - (maxRef - window.Length) / 2, 0, oldBlocks.Length - maxRef);
                var reference = oldBlocks.AsSpan(from, Math.Min(maxRef, oldBlocks.Length - from));
                AddUnit(new PatchUnit
                {
                    Targets = window,
                    Source = Runs(reference),
                    SourceKey = old is null ? "" : $"file:{old.Inode}:{from}",
                    IsFile = true,
                });
            }
        }
        return null;
    }

    /// <summary>A file's data blocks in logical order (holes left out).</summary>
    private static IEnumerable<long> DataBlocks(Ext4Entry e)
    {
        foreach (var x in e.Extents)
            for (var i = 0; i < x.Length; i++) yield return x.Physical + i;
    }

    private static (long, long)[] Runs(ReadOnlySpan<long> blocks)
    {
        var runs = new List<(long Start, long Count)>();
        foreach (var b in blocks)
        {
            if (runs.Count > 0 && runs[^1].Start + runs[^1].Count == b) runs[^1] = (runs[^1].Start, runs[^1].Count + 1);
            else runs.Add((b, 1));
        }
        return runs.ToArray();
    }

    private void AddUnit(PatchUnit unit)
    {
        var id = _units.Count;
        _units.Add(unit);
        for (var i = 0; i < unit.Targets.Length; i++)
        {
            _unitOf[unit.Targets[i]] = id;
            _outIndex[unit.Targets[i]] = i;
        }
    }

    /// <summary>
    /// The blocks no file owns: runs of changed blocks (gaps of up to 8 unchanged blocks bridged) are patched against the
    /// old blocks around the same place, or in the fallback against the whole old image when it is small enough.
    /// </summary>
    private void PlanRest(bool[] owned, bool whole)
    {
        var oldBlocks = oldHashes.Count;
        var wholeImage = whole && oldImage.Length <= WholeImageReferenceBytes;
        long b = 0;
        while (b < TargetBlocks)
        {
            if (owned[b] || !IsNew(b))
            {
                b++;
                continue;
            }
            var start = b;
            var end = b + 1;
            for (var k = end; k < TargetBlocks && k - end <= RunGapBlocks && k - start < MaxPatchBlocks && !owned[k]; k++)
                if (IsNew(k)) end = k + 1;
            var targets = new long[end - start];
            for (var i = 0; i < targets.Length; i++) targets[i] = start + i;
            (long, long)[] source;
            string key;
            if (wholeImage)
            {
                source = [(0, oldBlocks)];
                key = "image";
            }
            else
            {
                var from = Math.Clamp(start - NeighbourBlocks, 0, oldBlocks);
                var to = Math.Clamp(end + NeighbourBlocks, 0, oldBlocks);
                source = to > from ? [(from, to - from)] : [];
                key = $"near:{from}:{to}";
            }
            AddUnit(new PatchUnit { Targets = targets, Source = source, SourceKey = key });
            MetadataPatches++;
            b = end;
        }
    }

    /// <summary>Computes every patch, sources with the most work first, on <paramref name="threads"/> cores.</summary>
    public void Diff(int threads)
    {
        var groups = _units.Select((u, i) => (Unit: u, Key: u.SourceKey.Length == 0 ? $"none:{i}" : u.SourceKey))
            .GroupBy(x => x.Key, x => x.Unit)
            .Select(g => g.ToList())
            .OrderByDescending(g => g[0].SourceBlocks + g.Sum(u => (long)u.Targets.Length))
            .ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        Parallel.ForEach(groups, parallel, group =>
        {
            var old = ReadBlocks(oldImage, group[0].Source);
            var index = old.Length > 0 ? DiffIndex.Build(old) : null;
            // Units sharing one source (windows of a large file, the fallback's changed runs) are diffed side by side too.
            Parallel.ForEach(group, parallel, unit =>
            {
                var data = new byte[unit.OutputBytes];
                for (var i = 0; i < unit.Targets.Length; i++) newImage.ReadBlocks(unit.Targets[i], data.AsSpan(i * B, B));
                unit.Diff = index is not null ? ByteDiff.Create(old, index, data) : ByteDiff.Literal(data);
                unit.Runs = SparseRuns.Of(unit.Diff.DiffBytes);
                unit.OutputHash = PatchHash(newHashes, unit.Targets);
            });
        });
    }

    /// <summary>
    /// A patch's check value: the first 8 bytes of SHA-256 over the SHA-256 of each output block (the blocks' Merkle
    /// leaves), so the applier, which needs those leaves for the slot's tree anyway, hashes the output only once.
    /// </summary>
    private static byte[] PatchHash(BlockHashes hashes, long[] targets)
    {
        var leaves = new byte[targets.Length * Digest.Size];
        for (var i = 0; i < targets.Length; i++) hashes[targets[i]].WriteTo(leaves.AsSpan(i * Digest.Size));
        return SHA256.HashData(leaves)[..8];
    }

    private static byte[] ReadBlocks(ImageReader image, (long Start, long Count)[] runs)
    {
        var total = runs.Sum(r => r.Count) * B;
        var data = new byte[total];
        long at = 0;
        foreach (var (start, count) in runs)
        {
            image.ReadBlocks(start, data.AsSpan((int)at, (int)(count * B)));
            at += count * B;
        }
        return data;
    }

    /// <summary>Writes the ops in target order: copies, zeros, and each patch just before the first of its blocks is put.</summary>
    public EmitResult Emit(OpStreamWriter w)
    {
        long ops = 0, live = 0, peak = 0, copies = 0, zeros = 0, patched = 0;
        var frameStarts = new List<long>();
        var remaining = _units.Select(u => (long)u.Targets.Length).ToArray();
        var patchOp = new long[_units.Count];
        Array.Fill(patchOp, -1);
        var oldIndex = oldHashes.FirstIndex;
        long b = 0;
        while (b < TargetBlocks)
        {
            frameStarts.Add(w.Position);
            var u = _unitOf[b];
            if (u >= 0)
            {
                var unit = _units[u];
                if (patchOp[u] < 0)
                {
                    // The patch's output must fit beside what is still held: the applier needs output (and nothing more).
                    // While a patch is rebuilt, the applier holds its output, its steps (16 bytes each) and its diff runs (8 bytes
                    // each) beside the live buffers.
                    peak = Math.Max(peak, live + unit.OutputBytes + 16L * unit.Diff!.Controls.Count + 8L * unit.Runs.Count);
                    live += unit.OutputBytes;
                    w.Patch(b, unit.Source, unit.OutputHash, unit.Diff, unit.Runs);
                    patchOp[u] = ops++;
                    frameStarts.Add(w.Position);
                }
                var offset = _outIndex[b];
                long run = 1;
                while (b + run < TargetBlocks && _unitOf[b + run] == u && _outIndex[b + run] == offset + run) run++;
                w.Byte((byte)PatchOpKind.Put);
                w.UVar((ulong)(ops - patchOp[u]));
                w.UVar((ulong)offset);
                w.UVar((ulong)run);
                ops++;
                patched += run;
                remaining[u] -= run;
                if (remaining[u] == 0) live -= unit.OutputBytes;
                b += run;
                continue;
            }
            var d = newHashes[b];
            if (d == BlockHashes.ZeroBlock)
            {
                long run = 1;
                while (b + run < TargetBlocks && _unitOf[b + run] < 0 && newHashes[b + run] == BlockHashes.ZeroBlock) run++;
                w.Byte((byte)PatchOpKind.Zero);
                w.UVar((ulong)run);
                ops++;
                zeros += run;
                b += run;
                continue;
            }
            // Prefer the same place in the old image; else the first block with this content.
            var src = b < oldHashes.Count && oldHashes[b] == d ? b
                : oldIndex.TryGetValue(d, out var at) ? at
                : throw new InvalidOperationException($"block {b} of the new image has no source and no patch");
            long count = 1;
            while (b + count < TargetBlocks && src + count < oldHashes.Count && _unitOf[b + count] < 0 &&
                   newHashes[b + count] != BlockHashes.ZeroBlock && oldHashes[src + count] == newHashes[b + count]) count++;
            w.Byte((byte)PatchOpKind.Copy);
            w.UVar((ulong)count);
            w.SVar(src - b);
            ops++;
            copies += count;
            b += count;
        }
        return new EmitResult(ops, peak, copies, zeros, patched, frameStarts);
    }
}
