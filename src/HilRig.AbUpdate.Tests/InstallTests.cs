using System.Security.Cryptography;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class InstallTests
{
    private const long MiB = 1 << 20;

    [Test]
    public void Full_install_follows_mark_bad_stream_verify_tree_mark_primary_then_boot_and_commit()
    {
        var (mem, rec, disk, v0, v1) = TestDisks.Running();
        var v2 = TestDisks.Image(102, 700_000);
        var up = new AbUpdater(disk, SlotName.B);
        var r = up.Install(new MemoryStream(v2), new InstallRequest("2.0", Digest.Sha256(v2), v2.Length, 3));
        Assert.That(r.Outcome, Is.EqualTo(InstallOutcome.Installed));
        Assert.That(r.Target, Is.EqualTo(SlotName.A));
        Assert.That(r.Sha256, Is.EqualTo(Digest.Sha256(v2)));
        Assert.That(r.Message, Does.Contain("installed image into slot A").And.Contain(r.Sha256.ToHex()));

        var order = rec.Points.Where(p => p is "mark-bad" or "merkle-write" or "mark-primary" or "mark-primary-done" or "slot-write").Distinct().ToList();
        Assert.That(order, Is.EqualTo(new[] { "mark-bad", "slot-write", "merkle-write", "mark-primary", "mark-primary-done" }));
        Assert.That(rec.WritesInto(disk.SlotB.Partition.Offset, disk.SlotB.Partition.Length), Is.Empty, "the active slot B was never written");

        var st = disk.BootControl.Load().Record;
        Assert.That(st.Primary, Is.EqualTo(SlotName.A));
        Assert.That(st.A.State, Is.EqualTo(SlotState.Pending));
        Assert.That(st.A.TriesLeft, Is.EqualTo(3));
        Assert.That(st.A.Version, Is.EqualTo("2.0"));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.A, v2.Length), Is.EqualTo(v2));

        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(boot.BootLine, Is.EqualTo($"boot: slot A version 2.0 sha256 {Digest.Sha256(v2).ToHex()} (pending (2 tries left))"));
        new AbUpdater(disk, SlotName.A).MarkGood();
        Assert.That(disk.BootControl.Load().Record.A.State, Is.EqualTo(SlotState.Good));
        Assert.That(Bootloader.Boot(disk).Slot, Is.EqualTo(SlotName.A), "a good slot keeps booting");
    }

    [Test]
    public void A_slot_that_never_passes_its_health_check_falls_back_after_n_tries()
    {
        var (_, _, disk, _, v1) = TestDisks.Running();
        var v2 = TestDisks.Image(102, MiB);
        new AbUpdater(disk, SlotName.B).Install(new MemoryStream(v2), new InstallRequest("2.0", Tries: 3));
        var boots = Enumerable.Range(0, 5).Select(_ => Bootloader.Boot(disk, BootPolicy.NoCheck)).ToList();
        Assert.That(boots.Select(b => b.Slot), Is.EqualTo(new SlotName?[] { SlotName.A, SlotName.A, SlotName.A, SlotName.B, SlotName.B }));
        Assert.That(boots[3].Log, Has.Some.Contains("slot A used all its tries without being marked good: marked bad"));
        Assert.That(boots[3].Log, Has.Some.Contains("fallback: slot A → slot B"));
        var st = disk.BootControl.Load().Record;
        Assert.That(st.A.State, Is.EqualTo(SlotState.Bad));
        Assert.That(st.A.Reason, Is.EqualTo(BadReason.TriesExhausted));
        Assert.That(st.Primary, Is.EqualTo(SlotName.B));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.B, v1.Length), Is.EqualTo(v1));
    }

    [Test]
    public void Explicit_rollback_returns_to_the_other_good_slot()
    {
        var (_, _, disk, v0, _) = TestDisks.Running();
        var to = new AbUpdater(disk, SlotName.B).Rollback();
        Assert.That(to, Is.EqualTo(SlotName.A));
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(boot.Info!.Version, Is.EqualTo("v0"));

        // Rolling back from an unconfirmed slot marks it rolled back.
        var v2 = TestDisks.Image(9, MiB);
        new AbUpdater(disk, SlotName.A).Install(new MemoryStream(v2));
        Assert.That(Bootloader.Boot(disk).Slot, Is.EqualTo(SlotName.B));
        new AbUpdater(disk, SlotName.B).Rollback();
        var st = disk.BootControl.Load().Record;
        Assert.That(st.B.Reason, Is.EqualTo(BadReason.RolledBack));
        Assert.That(Bootloader.Boot(disk).Slot, Is.EqualTo(SlotName.A));
        var e = Assert.Throws<AbStateException>(() => new AbUpdater(disk, SlotName.A).Rollback())!;
        Assert.That(e.Message, Does.Contain("cannot roll back to slot B: it is bad (rolled back)"));
    }

    [Test]
    public void Installing_what_a_slot_already_holds_is_a_no_op()
    {
        var (_, rec, disk, v0, v1) = TestDisks.Running();
        var up = new AbUpdater(disk, SlotName.B);
        var running = up.Install(new MemoryStream(v1));
        Assert.That(running.Outcome, Is.EqualTo(InstallOutcome.AlreadyRunning));
        var held = up.Install(new MemoryStream(v0), new InstallRequest(ExpectedSha256: Digest.Sha256(v0)));
        Assert.That(held.Outcome, Is.EqualTo(InstallOutcome.AlreadyInstalled));
        Assert.That(held.Message, Does.Contain("slot A already holds"));
        Assert.That(rec.Writes, Is.Empty, "a no-op writes nothing at all");
    }

    [Test]
    public void The_booted_root_is_read_only_under_a_volatile_overlay_and_data_persists()
    {
        var (mem, _, disk, _, v1) = TestDisks.Running();
        var up = new AbUpdater(disk, SlotName.B);
        var root = up.OpenRoot();
        root.Write(4096, new byte[4096]);
        Assert.That(root.ReadBytes(4096, 4096), Is.EqualTo(new byte[4096]));
        var data = up.OpenData();
        data.Write(0, Enumerable.Repeat((byte)0x42, 512).ToArray());
        data.Flush();

        // Reboot: a new boot, a new overlay.
        var disk2 = AbDisk.Open(mem);
        var boot = Bootloader.Boot(disk2, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B), "the runtime write never reached the slot: the full check passes");
        var up2 = new AbUpdater(disk2, SlotName.B);
        Assert.That(up2.OpenRoot().ReadBytes(4096, 4096), Is.EqualTo(v1.AsSpan(4096, 4096).ToArray()), "runtime changes are gone");
        Assert.That(up2.OpenData().ReadBytes(0, 512), Is.All.EqualTo(0x42), "the data partition persists");
        Assert.Throws<BlockDeviceException>(() => disk2.SlotB.Image.ReadOnlyView().Write(0, new byte[512]));
    }

    [Test]
    public void A_tampered_block_is_detected_at_boot_and_the_slot_is_never_booted_again()
    {
        var (mem, _, disk, _, _) = TestDisks.Running();
        var offset = disk.SlotB.Partition.Offset + 77 * 4096L;
        var sector = mem.ReadBytes(offset, 512);
        sector[9] ^= 0x01;
        mem.Write(offset, sector);

        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(boot.Log, Has.Some.Contains("1 tampered block (4 KiB blocks, index 77)").And.Some.Contains("marking slot B bad"));
        var st = disk.BootControl.Load().Record;
        Assert.That(st.B.Reason, Is.EqualTo(BadReason.Tampered));
        Assert.That(st.B.TamperedBlock, Is.EqualTo(77));
        Assert.That(new[] { Bootloader.Boot(disk, BootPolicy.NoCheck).Slot, Bootloader.Boot(disk).Slot }, Is.All.EqualTo(SlotName.A));
    }

    [Test]
    public void On_demand_verify_reports_the_block_and_marks_the_slot_bad()
    {
        var (mem, _, disk, _, _) = TestDisks.Running();
        var up = new AbUpdater(disk, SlotName.B);
        Assert.That(up.Verify().Ok);
        mem.Write(disk.SlotA.Partition.Offset + 200 * 4096L, new byte[4096]);
        var r = up.Verify(SlotName.A);
        Assert.That(r.Ok, Is.False);
        Assert.That(r.TamperedBlocks, Is.EqualTo(new long[] { 200 }));
        Assert.That(disk.BootControl.Load().Record.A.State, Is.EqualTo(SlotState.Bad));
    }

    [Test]
    public void Verify_all_reports_changed_blocks_by_slot_and_index_without_marking()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        mem.Write(disk.SlotA.Partition.Offset + 3 * 4096L, new byte[512]);
        mem.Write(disk.SlotA.Partition.Offset + 9 * 4096L, new byte[512]);
        var reports = new AbUpdater(disk).VerifyAll();
        Assert.That(reports.Select(r => (r.Slot, r.Result)), Is.EqualTo(new[] { ("A", "tampered"), ("B", "ok") }));
        Assert.That(reports[0].TamperedBlocks, Is.EqualTo(new long[] { 3, 9 }));
        Assert.That(reports[0].Detail, Does.Contain("slot A (partition 2 'rootfs_a'").And.Contain("index 3, 9"));
        Assert.That(rec.Writes, Is.Empty, "an offline verify changes nothing");
    }

    // ---- bad input: each is refused with what and where, and the active slot is never written ----

    private static void AssertActiveUntouched(RecordingDevice rec, AbDisk disk, MemoryBlockDevice mem, byte[] before, SlotName active = SlotName.B)
    {
        Assert.That(rec.WritesInto(disk[active].Partition.Offset, disk[active].Partition.Length), Is.Empty, "no write reached the active slot");
        Assert.That(TestDisks.PartitionBytes(mem, disk, active), Is.EqualTo(before), "the active slot is byte-identical");
        Assert.That(Bootloader.Boot(AbDisk.Open(mem), BootPolicy.FullCheck).Slot, Is.EqualTo(active), "and still boots");
    }

    [Test]
    public void Truncated_image_is_refused()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var v2 = TestDisks.Image(5, 600_000);
        var up = new AbUpdater(disk, SlotName.B);

        var e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(v2, 0, 500_000), new InstallRequest(ExpectedSize: v2.Length), "v2.img"))!;
        Assert.That(e.Message, Is.EqualTo("v2.img: image truncated: 500000 bytes, expected 600000 (ends at offset 500000)"));
        Assert.That(rec.Writes, Is.Empty, "refused before any write");

        // A stream (no length up front) that ends early: found at the end, the target stays bad.
        e = Assert.Throws<InstallRefusedException>(() => up.Install(new NonSeekable(v2, 450_000), new InstallRequest(ExpectedSize: v2.Length), "v2.img"))!;
        Assert.That(e.Message, Does.Contain("image truncated: stream ended at offset 450000, expected 600000"));
        Assert.That(disk.BootControl.Load().Record.A.State, Is.EqualTo(SlotState.Bad));
        AssertActiveUntouched(rec, disk, mem, before);
    }

    [Test]
    public void Truncated_filesystem_image_is_recognized_by_its_superblock()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var img = new byte[300_000];
        // An ext4 superblock at 1024 declaring 512 blocks of 1 KiB (512 KiB).
        BitConverter.TryWriteBytes(img.AsSpan(1024 + 4), 512u);
        BitConverter.TryWriteBytes(img.AsSpan(1024 + 24), 0u);
        BitConverter.TryWriteBytes(img.AsSpan(1024 + 56), (ushort)0xEF53);
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B).Install(new MemoryStream(img), null, "rootfs.ext4"))!;
        Assert.That(e.Message, Is.EqualTo("rootfs.ext4: image truncated: its ext4 superblock declares 524288 bytes, the file ends at offset 300000"));
        AssertActiveUntouched(rec, disk, mem, before);
    }

    [Test]
    public void Image_larger_than_the_slot_is_refused()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var big = TestDisks.Image(6, MiB + 4096);
        var up = new AbUpdater(disk, SlotName.B);
        var e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(big), null, "big.img"))!;
        Assert.That(e.Message, Does.StartWith("big.img: image is 1052672 bytes, larger than slot A (partition 2 'rootfs_a' (LBA 4096..").And.EndWith("which holds 1048576"));
        Assert.That(rec.Writes, Is.Empty);
        e = Assert.Throws<InstallRefusedException>(() => up.Install(new NonSeekable(big, big.Length), null, "big.img"))!;
        Assert.That(e.Message, Does.Contain("image is larger than slot A").And.Contain("more than 1048576 bytes"));
        AssertActiveUntouched(rec, disk, mem, before);
    }

    [Test]
    public void Wrong_expected_hash_is_refused_and_the_target_left_bad()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var v2 = TestDisks.Image(7, 400_000);
        var wrong = Digest.Sha256("something else"u8);
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B).Install(new MemoryStream(v2), new InstallRequest(ExpectedSha256: wrong), "v2.img"))!;
        Assert.That(e.Message, Is.EqualTo($"v2.img: hash mismatch: expected sha256 {wrong.ToHex()}, the image has {Digest.Sha256(v2).ToHex()}"));
        var st = disk.BootControl.Load().Record;
        Assert.That(st.A.State, Is.EqualTo(SlotState.Bad));
        Assert.That(st.A.Reason, Is.EqualTo(BadReason.InstallFailed));
        Assert.That(st.Primary, Is.EqualTo(SlotName.B));
        AssertActiveUntouched(rec, disk, mem, before);
    }

    [Test]
    public void A_power_cut_while_recording_a_failed_install_is_a_power_cut_not_the_install_error()
    {
        var (mem, _, _, _, _) = TestDisks.Running();
        var v2 = TestDisks.Image(7, 400_000);
        var wrong = Digest.Sha256("something else"u8);
        // bootctl-write #1 marks the target bad (installing); #2 records "install failed" after the hash mismatch.
        var dev = new PowerLossDevice(mem, plan: new CutPlan(new NamedCut("bootctl-write", 2), 1));
        PowerCutException? lost = null;
        var booted = new BootedDisk(AbDisk.Open(dev), SlotName.B, e => lost = e);
        var e = Assert.Throws<PowerCutException>(() => booted.Use(u => u.Install(new MemoryStream(v2), new InstallRequest(ExpectedSha256: wrong), "v2.img")))!;
        Assert.That(dev.IsPoweredOff, "the cut fired on the write that records the failure");
        Assert.That(e.Message, Does.Contain("bootctl-write#2"));
        Assert.That(lost, Is.SameAs(e), "the power-lost callback ran with the cut");
    }

    [Test]
    public void Delta_for_another_source_is_refused_before_any_write()
    {
        var (mem, rec, disk, v0, v1) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var v2 = TestDisks.Image(8, MiB);
        var delta = new MemoryStream();
        BlockDelta.Create(new MemoryStream(v0), new MemoryStream(v2), delta);   // made for v0, but B runs v1
        delta.Position = 0;
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B).Install(delta, null, "v0-v2.delta"))!;
        Assert.That(e.Message, Does.Contain($"v0-v2.delta: delta made for another source: it needs sha256 {Digest.Sha256(v0).ToHex()}"));
        Assert.That(e.Message, Does.Contain($"active slot B holds {Digest.Sha256(v1).ToHex()}"));
        Assert.That(rec.Writes, Is.Empty, "refused before any write");
        AssertActiveUntouched(rec, disk, mem, before);
    }

    [Test]
    public void One_corrupted_boot_control_copy_lets_the_other_win_during_an_install()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.B);
        var st = disk.BootControl.Load();
        mem.Write(disk.BootControlPartition.Offset + st.NewestCopy * 4096L, new byte[1024]);
        var v2 = TestDisks.Image(10, MiB);
        var r = new AbUpdater(disk, SlotName.B).Install(new MemoryStream(v2));
        Assert.That(r.Outcome, Is.EqualTo(InstallOutcome.Installed));
        Assert.That(disk.BootControl.Load().NeedsRepair, Is.False);
        Assert.That(rec.WritesInto(disk.SlotB.Partition.Offset, disk.SlotB.Partition.Length), Is.Empty);
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.B), Is.EqualTo(before));
    }

    [Test]
    public void Corrupted_merkle_tree_is_reported_by_level_and_block_and_the_slot_not_booted()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var hashArea = disk.SlotB.Partition.Offset + disk.SlotB.Capacity;
        var b = mem.ReadBytes(hashArea, 512);
        b[64] ^= 0x80;
        mem.Write(hashArea, b);
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.A);
        rec.Writes.Clear();

        var report = new AbUpdater(disk, SlotName.B).Verify(SlotName.B, full: true, markBad: false);
        Assert.That(report.TreeCorrupt);
        Assert.That(report.Describe("slot B"), Does.Contain("Merkle tree corrupt at level 0, hash block 0"));
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(disk.BootControl.Load().Record.B.Reason, Is.EqualTo(BadReason.MerkleCorrupt));
        Assert.That(rec.WritesInto(disk.SlotA.Partition.Offset, disk.SlotA.Partition.Length), Is.Empty, "booting A wrote nothing into A");
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.A), Is.EqualTo(before));
    }

    [Test]
    public void A_disk_that_is_not_ours_is_refused_naming_what_is_missing()
    {
        var blank = new MemoryBlockDevice(16 << 20, 512, "customer.img");
        var e = Assert.Throws<NotOurDiskException>(() => AbDisk.Open(blank))!;
        Assert.That(e.Message, Does.Contain("not a HilRig A/B disk: customer.img: no partition table: LBA 0 (byte 510) lacks the 55 AA"));

        var other = new MemoryBlockDevice(16 << 20, 512, "other.img");
        Gpt.Write(other, Guid.NewGuid(), [new GptPartitionSpec(Gpt.LinuxFilesystem, "rootfs", 8 << 20)]);
        var rec = new RecordingDevice(other);
        e = Assert.Throws<NotOurDiskException>(() => AbDisk.Open(rec))!;
        Assert.That(e.Message, Does.Contain("the GPT has no partition named 'bootctl' (found: 1 'rootfs')"));
        Assert.That(rec.Writes, Is.Empty);
    }

    [Test]
    public void Install_streams_in_one_mebibyte_chunks_without_buffering_the_image()
    {
        var (_, rec, disk) = TestDisks.Create(8 * MiB);
        var img = TestDisks.Image(11, 8 * MiB);
        new AbUpdater(disk).Install(new NonSeekable(img, img.Length));
        var slotWrites = rec.WritesInto(disk.SlotA.Partition.Offset, disk.SlotA.Capacity).ToList();
        Assert.That(slotWrites, Has.Count.EqualTo(8));
        Assert.That(slotWrites.Select(w => w.Length), Is.All.EqualTo(MiB));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.A, img.Length), Is.EqualTo(img));
        Assert.That(disk.BootControl.Load().Record.A.Sha256, Is.EqualTo(Digest.FromSpan(SHA256.HashData(img))));
    }

    /// <summary>A stream without length or seeking, like a download.</summary>
    public sealed class NonSeekable(byte[] data, int length) : Stream
    {
        private int _pos;
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(Math.Min(buffer.Length, 100_000), length - _pos);
            data.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n;
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
    }
}
