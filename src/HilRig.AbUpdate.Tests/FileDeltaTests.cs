using System.Buffers.Binary;
using System.Security.Cryptography;
using HilRig.AbUpdate.Delta;
using HilRig.AbUpdate.Sweep;
using HilRig.Storage;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

/// <summary>Format-2 deltas: made from real ext4 images (and from images that are not), applied, and refused when bad.</summary>
public class FileDeltaTests
{
    private const long MiB = 1 << 20;

    private static (byte[] V1, byte[] V2) Ext4Pair(long size = 8 * MiB)
    {
        var dir = RepoPaths.NewTempDirectory("file-delta");
        var images = new byte[2][];
        for (var v = 1; v <= 2; v++)
        {
            var tree = Ext4Images.Tree(Path.Combine(dir, $"tree{v}"), v);
            var image = Path.Combine(dir, $"v{v}.ext4");
            Ext4Images.Make(tree, image, size);
            images[v - 1] = File.ReadAllBytes(image);
        }
        return (images[0], images[1]);
    }

    private static (byte[] Delta, FileDeltaStats Stats) Make(byte[] from, byte[] to, FileDeltaOptions? options = null)
    {
        var ms = new MemoryStream();
        var stats = FileDelta.Create(new MemoryStream(from), new MemoryStream(to), ms, options ?? new FileDeltaOptions { Version = "2.0" });
        return (ms.ToArray(), stats);
    }

    /// <summary>A disk whose slot A runs <paramref name="running"/> (good, booted) and whose slot B holds <paramref name="other"/>.</summary>
    private static (MemoryBlockDevice Mem, RecordingDevice Rec, AbDisk Disk) Running(byte[] running, byte[] other)
    {
        var (mem, rec, disk) = TestDisks.Create(BlockDevice.AlignUp(Math.Max(running.Length, other.Length), MiB));
        TestDisks.InstallGood(disk, null, running, "1");
        TestDisks.InstallGood(disk, SlotName.A, other, "0");
        new AbUpdater(disk, SlotName.B).RollbackTo(SlotName.A);
        Assert.That(Bootloader.Boot(disk, BootPolicy.NoCheck).Slot, Is.EqualTo(SlotName.A));
        rec.Writes.Clear();
        return (mem, rec, disk);
    }

    [Test]
    public void An_ext4_delta_patches_changed_files_against_their_old_versions_and_installs_the_exact_image()
    {
        var (v1, v2) = Ext4Pair();
        var (delta, stats) = Make(v1, v2);
        TestContext.Out.WriteLine(stats);
        Assert.That(stats.Mode, Is.EqualTo("ext4, file-aware"));
        Assert.That(stats.PairedByPath, Is.GreaterThanOrEqualTo(8), "the rebuilt tools, the changelog, os-release, directories");
        Assert.That(stats.PairedByName, Is.EqualTo(1), "libthing.so.1.2 → libthing.so.1.3: same name once the digits go, same size");
        Assert.That(stats.FilesWithoutReference, Is.EqualTo(1), "usr/bin/newtool");
        Assert.That(stats.Header.FormatVersion, Is.EqualTo(2));
        var block = new MemoryStream();
        BlockDelta.Create(new MemoryStream(v1), new MemoryStream(v2), block, new DeltaOptions(Version: "2.0"));
        TestContext.Out.WriteLine($"format 1 (blocks): {block.Length} bytes");
        Assert.That(delta.Length, Is.LessThan(block.Length / 2), "byte-level patches of files that moved and changed beat whole-block replacement");

        var (mem, rec, disk) = Running(v1, new byte[v1.Length]);
        var activeBefore = TestDisks.PartitionBytes(mem, disk, SlotName.A);
        var r = new AbUpdater(disk, SlotName.A).Install(new MemoryStream(delta), null, "v1-v2.delta");
        Assert.That(r.Outcome, Is.EqualTo(InstallOutcome.Installed));
        Assert.That(r.Version, Is.EqualTo("2.0"));
        Assert.That(r.Sha256, Is.EqualTo(Digest.Sha256(v2)));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.B, v2.Length), Is.EqualTo(v2));
        Assert.That(rec.WritesInto(disk.SlotA.Partition.Offset, disk.SlotA.Partition.Length), Is.Empty, "the active slot is only read");
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.A), Is.EqualTo(activeBefore));
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B));
        Assert.That(boot.Info!.MerkleRoot, Is.EqualTo(stats.Header.TargetMerkleRoot));
    }

    [Test]
    public void The_same_images_give_the_same_delta_bytes_on_one_thread_or_many()
    {
        var (v1, v2) = Ext4Pair();
        var one = Make(v1, v2, new FileDeltaOptions { Threads = 1, Level = 9 }).Delta;
        var many = Make(v1, v2, new FileDeltaOptions { Threads = 4, Level = 9 }).Delta;
        Assert.That(many, Is.EqualTo(one));
    }

    [Test]
    public void Images_that_are_not_ext4_get_block_copies_and_byte_level_patches_against_the_whole_old_image()
    {
        var rel = ReleaseImages.Generate(3, 2 * MiB);
        var v2 = (byte[])rel.V2.Clone();
        // Shift a stretch by 100 bytes: no block matches any more, but every byte is still in the old image.
        rel.V1.AsSpan(100_000, 200_000).CopyTo(v2.AsSpan(100_100));
        var (delta, stats) = Make(rel.V1, v2, new FileDeltaOptions { Level = 3 });
        Assert.That(stats.Mode, Does.StartWith("block + byte-level (the new image is not ext2/3/4)"));
        Assert.That(stats.CopyBlocks, Is.GreaterThan(0));
        Assert.That(stats.ZeroBlocks, Is.GreaterThan(0));
        Assert.That(stats.PatchBlocks, Is.GreaterThan(0));
        var (_, _, disk) = Running(rel.V1, rel.V0);
        new AbUpdater(disk, SlotName.A).Install(new MemoryStream(delta));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.B, v2.Length), Is.EqualTo(v2));
    }

    [Test]
    public void A_format_1_delta_still_installs_and_an_unknown_format_is_refused_by_its_version()
    {
        var rel = ReleaseImages.Generate(4, MiB);
        var v1Delta = new MemoryStream();
        BlockDelta.Create(new MemoryStream(rel.V1), new MemoryStream(rel.V2), v1Delta, new DeltaOptions(BrotliQuality: 5));
        var (_, rec, disk) = Running(rel.V1, rel.V0);
        var r = new AbUpdater(disk, SlotName.A).Install(new MemoryStream(v1Delta.ToArray()));
        Assert.That(r.Sha256, Is.EqualTo(Digest.Sha256(rel.V2)));

        var future = Make(rel.V1, rel.V2, new FileDeltaOptions { Level = 3 }).Delta;
        BinaryPrimitives.WriteUInt32LittleEndian(future.AsSpan(8), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(future.AsSpan(508), Crc32.Compute(future.AsSpan(0, 508)));
        rec.Writes.Clear();
        var e = Assert.Throws<DeltaFormatException>(() => new AbUpdater(disk, SlotName.B).Install(new MemoryStream(future), null, "future.delta"))!;
        Assert.That(e.Message, Does.StartWith("future.delta: delta format version 3 at byte 8 is not supported (this updater applies formats 1 and 2"));
        Assert.That(rec.Writes, Is.Empty);
    }

    // ---- bad input ----

    /// <summary>A format-2 delta from <paramref name="source"/> promising <paramref name="target"/>, with hand-written ops.</summary>
    private static byte[] Craft(byte[] source, byte[] target, long opCount, Action<OpStreamWriter> ops, long peak = MiB)
    {
        var stream = new MemoryStream();
        ops(new OpStreamWriter(stream));
        using var compressor = new ZstdSharp.Compressor(3);
        var body = compressor.Wrap(stream.ToArray()).ToArray();
        var leaves = new byte[MerkleTree.LeafCount(target.Length) * Digest.Size];
        MerkleTree.HashLeaves(target, leaves);
        var header = new DeltaHeader(source.Length, Digest.Sha256(source), target.Length, Digest.Sha256(target), MerkleTree.Build(leaves, target.Length).Root,
            opCount, body.Length, Digest.Sha256(body), "crafted")
        {
            FormatVersion = 2, Codec = DeltaHeader.CodecZstd, WindowLog = 23, PeakBufferBytes = peak, OpStreamBytes = stream.Length,
        };
        return [.. header.Serialize(), .. body];
    }

    private static void Copy(OpStreamWriter w, long count, long offset)
    {
        w.Byte((byte)PatchOpKind.Copy);
        w.UVar((ulong)count);
        w.SVar(offset);
    }

    private static void Put(OpStreamWriter w, long back, long offset, long count)
    {
        w.Byte((byte)PatchOpKind.Put);
        w.UVar((ulong)back);
        w.UVar((ulong)offset);
        w.UVar((ulong)count);
    }

    /// <summary>A patch that rebuilds target block 0 from source block 0; <paramref name="hash"/> overrides the true output hash.</summary>
    private static void PatchBlock0(OpStreamWriter w, byte[] source, byte[] target, (long, long)[] extents, byte[]? hash = null)
    {
        var old = source.AsSpan(0, 4096).ToArray();
        var @new = target.AsSpan(0, 4096).ToArray();
        var diff = ByteDiff.Create(old, SuffixArray.Build(old), @new);
        // The check value: SHA-256 over the output blocks' leaves (SHA-256 of each block).
        w.Patch(0, extents, hash ?? SHA256.HashData(SHA256.HashData(@new))[..8], diff, SparseRuns.Of(diff.DiffBytes));
    }

    private static IEnumerable<TestCaseData> BadDeltas()
    {
        TestCaseData Case(string name, Func<byte[], byte[], byte[]> make, string message) => new TestCaseData(make, message).SetName($"Refused: {name}");
        yield return Case("COPY reading outside the source", (s, t) => Craft(s, t, 1, w => Copy(w, 10, 300)),
            "op 0 at op-stream offset 4: COPY reads source blocks 300..309, outside the 256-block source");
        yield return Case("COPY writing past the slot", (s, t) => Craft(s, t, 1, w => Copy(w, 300, 0)),
            "op 0 at op-stream offset 3: writes target blocks 0..299, past the target's 256 blocks");
        yield return Case("PATCH output whose hash is wrong", (s, t) => Craft(s, t, 3, w =>
            {
                PatchBlock0(w, s, t, [(0, 1)], hash: new byte[8]);
                Put(w, 1, 0, 1);
                Copy(w, 255, 0);
            }),
            "PATCH output (1 blocks for target block 0 on) hashes to");
        yield return Case("PATCH reading outside the source", (s, t) => Craft(s, t, 3, w =>
            {
                PatchBlock0(w, s, t, [(250, 10)]);
                Put(w, 1, 0, 1);
                Copy(w, 255, 0);
            }),
            "op 0 at op-stream offset 6: PATCH reads source blocks 250..259, outside the 256-block source");
        yield return Case("PATCH larger than the declared buffer peak", (s, t) => Craft(s, t, 1, w => PatchBlock0(w, s, t, [(0, 1)]), peak: 100),
            "op 0 at op-stream offset 2: PATCH needs 4096 bytes of buffer; the delta declared a peak of 100 and 0 are held");
        yield return Case("PUT of an op that is not a patch", (s, t) => Craft(s, t, 2, w =>
            {
                Copy(w, 1, 0);
                Put(w, 1, 0, 1);
            }),
            "op 1 at op-stream offset 5: PUT refers to op 0, which is not a patch with blocks left to put");
        yield return Case("ops that end before the target", (s, t) => Craft(s, t, 1, w => Copy(w, 255, 0)),
            "delta ops cover 255 of the target's 256 blocks");
        yield return Case("an unknown op kind", (s, t) => Craft(s, t, 1, w => w.Byte(9)),
            "op 0 at op-stream offset 1: unknown op kind 9");
    }

    [TestCaseSource(nameof(BadDeltas))]
    public void A_bad_delta_is_refused_at_the_failing_op_the_active_slot_is_untouched_and_the_target_marked_bad(Func<byte[], byte[], byte[]> make, string message)
    {
        var (mem, rec, disk, _, v1) = TestDisks.Running();
        var v2 = (byte[])v1.Clone();
        v2[17] ^= 1;
        var delta = make(v1, v2);
        var activeBefore = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var e = Assert.Throws(Is.InstanceOf<AbException>(), () => new AbUpdater(disk, SlotName.B).Install(new MemoryStream(delta), null, "bad.delta"))!;
        Assert.That(e.Message, Does.StartWith("bad.delta: ").And.Contain(message));
        Assert.That(rec.WritesInto(disk.SlotB.Partition.Offset, disk.SlotB.Partition.Length), Is.Empty);
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.B), Is.EqualTo(activeBefore));
        var a = disk.BootControl.Load().Record.A;
        Assert.That(a.State, Is.EqualTo(SlotState.Bad));
        Assert.That(a.Reason, Is.EqualTo(BadReason.InstallFailed));
        Assert.That(Bootloader.Boot(disk, BootPolicy.FullCheck).Slot, Is.EqualTo(SlotName.B), "the running release still boots");
    }

    [Test]
    public void A_delta_for_another_source_a_changed_source_slot_or_a_larger_slot_is_refused_before_any_write()
    {
        var (mem, rec, disk, v0, v1) = TestDisks.Running();
        var v2 = (byte[])v1.Clone();
        new SeededRng(3).Fill(v2.AsSpan(8192, 50_000));
        var up = new AbUpdater(disk, SlotName.B);

        var forV0 = Make(v0, v2, new FileDeltaOptions { Level = 3 }).Delta;
        var e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(forV0), null, "p.delta"))!;
        Assert.That(e.Message, Does.Contain("delta made for another source"));
        Assert.Throws<InstallRefusedException>(() => up.Check(Save(forV0)));

        var tooLarge = Make(v1, [.. v2, .. new byte[8192]], new FileDeltaOptions { Level = 3 }).Delta;
        e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(tooLarge), null, "p.delta"))!;
        Assert.That(e.Message, Does.Contain($"delta target is {v2.Length + 8192} bytes, larger than slot A"));

        var good = Make(v1, v2, new FileDeltaOptions { Level = 3 });
        e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B) { MaxDeltaBufferBytes = 4096 }.Install(new MemoryStream(good.Delta), null, "p.delta"))!;
        Assert.That(e.Message, Does.Contain($"delta needs {good.Stats.Header.PeakBufferBytes} bytes of patch buffers at once (header byte 312), this device allows 4096"));

        // Boot control still says v1, but a block of the running slot changed: the delta would build garbage on it.
        var slotB = disk.SlotB.Image;
        var block = slotB.ReadBytes(4096 * 7, 4096);
        block[5] ^= 1;
        mem.Write(disk.SlotB.Partition.Offset + 4096 * 7, block);
        rec.Writes.Clear();
        e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(good.Delta), null, "p.delta"))!;
        Assert.That(e.Message, Does.StartWith($"p.delta: active slot B does not hold the delta's source: its first {v1.Length} bytes make Merkle root"));
        Assert.Throws<InstallRefusedException>(() => up.Check(Save(good.Delta)));
        Assert.That(rec.Writes, Is.Empty, "all refused before any write");
        Assert.That(disk.BootControl.Load().Record.A.State, Is.EqualTo(SlotState.Good), "the other slot keeps its release");
    }

    [Test]
    public void A_truncated_or_corrupt_delta_is_refused_before_any_write_or_when_streamed_at_its_op()
    {
        var (mem, rec, disk, _, v1) = TestDisks.Running();
        var v2 = (byte[])v1.Clone();
        new SeededRng(5).Fill(v2.AsSpan(4096, 100_000));
        var delta = Make(v1, v2, new FileDeltaOptions { Level = 3 }).Delta;
        var up = new AbUpdater(disk, SlotName.B);

        var e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(delta, 0, delta.Length - 10), null, "p.delta"))!;
        Assert.That(e.Message, Does.StartWith("p.delta: delta truncated:"));
        var corrupt = (byte[])delta.Clone();
        corrupt[600] ^= 0x10;
        e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(corrupt), null, "p.delta"))!;
        Assert.That(e.Message, Does.Contain($"delta body (bytes 512..{delta.Length}) is corrupt"));
        Assert.That(rec.Writes, Is.Empty);

        // Streamed: nothing to check up front, so the damage is found by the decoder or an op, and the target ends bad.
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var ae = Assert.Throws(Is.InstanceOf<AbException>(), () => up.Install(new InstallTests.NonSeekable(corrupt, corrupt.Length), null, "p.delta"))!;
        Assert.That(ae.Message, Does.Match(@"^p\.delta: (op \d+|delta body is corrupt)"));
        Assert.That(disk.BootControl.Load().Record.A.State, Is.EqualTo(SlotState.Bad));
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.B), Is.EqualTo(before));
    }

    private static string Save(byte[] delta)
    {
        var path = Path.Combine(RepoPaths.NewTempDirectory("delta-check"), "p.delta");
        File.WriteAllBytes(path, delta);
        return path;
    }
}
