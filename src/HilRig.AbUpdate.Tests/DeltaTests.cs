using HilRig.AbUpdate.Sweep;
using HilRig.Storage;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class DeltaTests
{
    private const long MiB = 1 << 20;

    private static byte[] MakeDelta(byte[] from, byte[] to, DeltaOptions? o = null)
    {
        var ms = new MemoryStream();
        BlockDelta.Create(new MemoryStream(from), new MemoryStream(to), ms, o ?? new DeltaOptions(BrotliQuality: 5, Version: "2.0"));
        return ms.ToArray();
    }

    [Test]
    public void A_delta_uses_copy_zero_and_replace_and_installs_like_an_image()
    {
        var rel = ReleaseImages.Generate(3, 2 * MiB);
        var ms = new MemoryStream();
        var stats = BlockDelta.Create(new MemoryStream(rel.V1), new MemoryStream(rel.V2), ms, new DeltaOptions(BrotliQuality: 5, Version: "2.0"));
        Assert.That(stats.CopyBlocks, Is.GreaterThan(0));
        Assert.That(stats.ZeroBlocks, Is.GreaterThan(0));
        Assert.That(stats.ReplaceBlocks, Is.GreaterThan(0));
        Assert.That(stats.DeltaBytes, Is.LessThan(rel.V2.Length / 2));
        Assert.That(stats.Header.TargetSha256, Is.EqualTo(Digest.Sha256(rel.V2)));

        var (mem, rec, disk) = TestDisks.Create(2 * MiB);
        TestDisks.InstallGood(disk, null, rel.V0, "0");
        TestDisks.InstallGood(disk, SlotName.A, rel.V1, "1");
        var activeBefore = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        rec.Writes.Clear();
        ms.Position = 0;
        var r = new AbUpdater(disk, SlotName.B).Install(ms, null, "1-2.delta");
        Assert.That(r.Outcome, Is.EqualTo(InstallOutcome.Installed));
        Assert.That(r.FromDelta);
        Assert.That(r.Version, Is.EqualTo("2.0"), "the delta carries the version");
        Assert.That(TestDisks.SlotBytes(disk, SlotName.A, rel.V2.Length), Is.EqualTo(rel.V2));
        Assert.That(rec.WritesInto(disk.SlotB.Partition.Offset, disk.SlotB.Partition.Length), Is.Empty);
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.B), Is.EqualTo(activeBefore));
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(boot.Info!.MerkleRoot, Is.EqualTo(stats.Header.TargetMerkleRoot));

        ms.Position = 0;
        Assert.That(new AbUpdater(disk, SlotName.A).Install(ms).Outcome, Is.EqualTo(InstallOutcome.AlreadyRunning), "the same delta again is a no-op");
    }

    [TestCase(1_000_000, 1_500_003)]
    [TestCase(1_500_003, 999_424)]
    [TestCase(4096, 4096)]
    public void Source_and_target_may_differ_in_size_and_end_mid_block(int fromSize, int toSize)
    {
        var v1 = TestDisks.Image(1, fromSize);
        var v2 = TestDisks.Image(2, toSize);
        v1.AsSpan(0, Math.Min(fromSize, toSize) / 2).CopyTo(v2);
        var delta = MakeDelta(v1, v2);
        var (_, _, disk) = TestDisks.Create(2 * MiB);
        TestDisks.InstallGood(disk, null, v1, "1");
        new AbUpdater(disk, SlotName.A).Install(new MemoryStream(delta));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.B, toSize), Is.EqualTo(v2));
        Assert.That(Bootloader.Boot(disk, BootPolicy.FullCheck).Slot, Is.EqualTo(SlotName.B));
    }

    [Test]
    public void Blocks_changed_in_a_few_bytes_cost_a_few_bytes()
    {
        var v1 = TestDisks.Image(12, MiB);
        var v2 = (byte[])v1.Clone();
        for (var i = 0; i < 256; i++) v2[i * 4096 + 17] ^= 0x5A;   // one byte in every block
        var ms = new MemoryStream();
        var stats = BlockDelta.Create(new MemoryStream(v1), new MemoryStream(v2), ms, new DeltaOptions(BrotliQuality: 9));
        Assert.That(stats.ReplaceBlocks, Is.EqualTo(256));
        Assert.That(stats.DeltaBytes, Is.LessThan(4096), "XOR with the source block leaves almost nothing to send");
        var (_, _, disk) = TestDisks.Create(MiB);
        TestDisks.InstallGood(disk, null, v1, "1");
        ms.Position = 0;
        new AbUpdater(disk, SlotName.A).Install(ms);
        Assert.That(TestDisks.SlotBytes(disk, SlotName.B, v2.Length), Is.EqualTo(v2));
    }

    [Test]
    public void Moved_blocks_are_copied_from_their_old_place()
    {
        var v1 = TestDisks.Image(4, MiB);
        var v2 = new byte[MiB];
        v1.AsSpan(0, (int)MiB / 2).CopyTo(v2.AsSpan((int)MiB / 2));
        v1.AsSpan((int)MiB / 2).CopyTo(v2);
        var ms = new MemoryStream();
        var stats = BlockDelta.Create(new MemoryStream(v1), new MemoryStream(v2), ms);
        Assert.That(stats.CopyBlocks, Is.EqualTo(256));
        Assert.That(stats.Header.OpCount, Is.EqualTo(2));
        Assert.That(stats.DeltaBytes, Is.LessThan(600));
    }

    [Test]
    public void A_truncated_or_corrupt_delta_is_refused_before_any_write()
    {
        var (mem, rec, disk, v0, v1) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var v2 = (byte[])v1.Clone();
        new SeededRng(5).Fill(v2.AsSpan(4096, 100_000));
        var delta = MakeDelta(v1, v2);
        var up = new AbUpdater(disk, SlotName.B);

        var e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(delta, 0, delta.Length - 10), null, "p.delta"))!;
        Assert.That(e.Message, Does.StartWith("p.delta: delta truncated:").And.Contain($"its header declares {delta.Length}"));

        var corrupt = (byte[])delta.Clone();
        corrupt[^5] ^= 1;
        e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(corrupt), null, "p.delta"))!;
        Assert.That(e.Message, Does.Contain($"delta body (bytes 512..{delta.Length}) is corrupt"));

        var badHeader = (byte[])delta.Clone();
        badHeader[20] ^= 1;
        var fe = Assert.Throws<DeltaFormatException>(() => up.Install(new MemoryStream(badHeader), null, "p.delta"))!;
        Assert.That(fe.Message, Does.Contain("delta header CRC32 at byte 508"));
        Assert.That(rec.Writes, Is.Empty, "all refused before any write");

        // Streamed (no length, no seeking): found while applying; the target is left bad, the active slot untouched.
        var ae = Assert.Throws(Is.InstanceOf<AbException>(), () => up.Install(new InstallTests.NonSeekable(corrupt, corrupt.Length), null, "p.delta"))!;
        Assert.That(ae.Message, Does.StartWith("p.delta: "));
        Assert.That(disk.BootControl.Load().Record.A.State, Is.EqualTo(SlotState.Bad));
        Assert.That(rec.WritesInto(disk.SlotB.Partition.Offset, disk.SlotB.Partition.Length), Is.Empty);
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.B), Is.EqualTo(before));
    }
}
