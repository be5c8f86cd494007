using HilRig.AbUpdate.Sweep;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

/// <summary>
/// The calls an update manager builds on: <see cref="AbUpdater.Check"/> (an install's refusals without its writes),
/// <see cref="AbUpdater.Activate"/> (try a slot that already holds the image) and <see cref="AbUpdater.RollbackTo"/>.
/// </summary>
public class CheckActivateRollbackTests
{
    private const long MiB = 1 << 20;

    private static string File(byte[] bytes)
    {
        var path = Path.Combine(RepoPaths.NewTempDirectory("ab-check"), "image");
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Delta(byte[] from, byte[] to, string version = "2.0")
    {
        var ms = new MemoryStream();
        BlockDelta.Create(new MemoryStream(from), new MemoryStream(to), ms, new DeltaOptions(BrotliQuality: 5, Version: version));
        return ms.ToArray();
    }

    [Test]
    public void Check_of_a_full_image_plans_the_inactive_slot_and_writes_nothing()
    {
        var (_, rec, disk, _, _) = TestDisks.Running();
        var v2 = TestDisks.Image(102, 700_000);
        var plan = new AbUpdater(disk, SlotName.B).Check(File(v2), new InstallRequest("2.0"));
        Assert.That(plan, Is.EqualTo(new InstallPlan(InstallOutcome.Installed, SlotName.A, SlotName.B, false, Digest.Sha256(v2), v2.Length, "2.0")));
        Assert.That(rec.Writes, Is.Empty);
    }

    [Test]
    public void Check_of_a_delta_plans_its_target_hash_and_version()
    {
        var rel = ReleaseImages.Generate(3, 2 * MiB);
        var (_, rec, disk) = TestDisks.Create(2 * MiB);
        TestDisks.InstallGood(disk, null, rel.V0, "0");
        TestDisks.InstallGood(disk, SlotName.A, rel.V1, "1");
        rec.Writes.Clear();
        var plan = new AbUpdater(disk, SlotName.B).Check(File(Delta(rel.V1, rel.V2)));
        Assert.That(plan, Is.EqualTo(new InstallPlan(InstallOutcome.Installed, SlotName.A, SlotName.B, true, Digest.Sha256(rel.V2), rel.V2.Length, "2.0")));
        Assert.That(rec.Writes, Is.Empty);
    }

    [Test]
    public void Check_says_what_an_install_would_skip()
    {
        var (_, rec, disk, v0, v1) = TestDisks.Running();
        var up = new AbUpdater(disk, SlotName.B);
        Assert.That(up.Check(File(v1)).Outcome, Is.EqualTo(InstallOutcome.AlreadyRunning));
        Assert.That(up.Check(File(v1)).Target, Is.EqualTo(SlotName.B));
        Assert.That(up.Check(File(v0)).Outcome, Is.EqualTo(InstallOutcome.AlreadyInstalled));
        Assert.That(rec.Writes, Is.Empty);
    }

    [Test]
    public void Check_refuses_what_install_refuses_before_any_write()
    {
        var (_, rec, disk, v0, _) = TestDisks.Running();
        var up = new AbUpdater(disk, SlotName.B);
        var empty = File([]);
        Assert.That(Assert.Throws<InstallRefusedException>(() => up.Check(empty))!.Message, Is.EqualTo($"{empty}: image is empty"));
        var big = File(new byte[disk.SlotA.Capacity + 4096]);
        Assert.That(Assert.Throws<InstallRefusedException>(() => up.Check(big))!.Message,
            Does.StartWith($"{big}: image is {disk.SlotA.Capacity + 4096} bytes, larger than slot A (partition 2 'rootfs_a'"));
        var v2 = TestDisks.Image(5, 8192);
        var wrong = File(v2);
        Assert.That(Assert.Throws<InstallRefusedException>(() => up.Check(wrong, new InstallRequest(ExpectedSha256: Digest.Sha256(v0))))!.Message,
            Is.EqualTo($"{wrong}: hash mismatch: expected sha256 {Digest.Sha256(v0).ToHex()}, the image has {Digest.Sha256(v2).ToHex()}"));
        // A squashfs superblock declaring more bytes than the file has: truncated.
        var squash = new byte[8192];
        "hsqs"u8.CopyTo(squash);
        BitConverter.GetBytes(16384L).CopyTo(squash, 40);
        var cut = File(squash);
        Assert.That(Assert.Throws<InstallRefusedException>(() => up.Check(cut))!.Message,
            Is.EqualTo($"{cut}: image truncated: its squashfs superblock declares 16384 bytes, the file ends at offset 8192"));
        // A delta made from v0 while B (v1) runs.
        var other = File(Delta(v0, TestDisks.Image(6, MiB)));
        Assert.That(Assert.Throws<InstallRefusedException>(() => up.Check(other))!.Message,
            Does.StartWith($"{other}: delta made for another source: it needs sha256 {Digest.Sha256(v0).ToHex()}"));
        var full = Delta(TestDisks.Image(101, MiB), TestDisks.Image(7, MiB));
        var truncated = File(full[..^100]);
        Assert.That(Assert.Throws<InstallRefusedException>(() => up.Check(truncated))!.Message, Does.StartWith($"{truncated}: delta truncated: {full.Length - 100} bytes"));
        Assert.That(rec.Writes, Is.Empty, "nothing was written by any refusal");
    }

    [Test]
    public void A_delta_install_with_an_expected_hash_it_does_not_produce_is_refused_before_any_write()
    {
        var (_, rec, disk, v0, v1) = TestDisks.Running();
        var v2 = TestDisks.Image(8, MiB);
        var delta = Delta(v1, v2);
        var up = new AbUpdater(disk, SlotName.B);
        var e = Assert.Throws<InstallRefusedException>(() => up.Install(new MemoryStream(delta), new InstallRequest(ExpectedSha256: Digest.Sha256(v0)), "d"))!;
        Assert.That(e.Message, Is.EqualTo($"d: hash mismatch: expected sha256 {Digest.Sha256(v0).ToHex()}, the delta produces {Digest.Sha256(v2).ToHex()}"));
        Assert.That(rec.Writes, Is.Empty);
        Assert.That(up.Install(new MemoryStream(delta), new InstallRequest(ExpectedSha256: Digest.Sha256(v2)), "d").Outcome, Is.EqualTo(InstallOutcome.Installed));
    }

    [Test]
    public void Check_takes_an_already_verified_hash_and_install_still_verifies_it()
    {
        var (mem, rec, disk, _, _) = TestDisks.Running();
        var v2 = TestDisks.Image(12, 700_000);
        var path = File(v2);
        var up = new AbUpdater(disk, SlotName.B);
        var plan = up.Check(path, new InstallRequest("2.0") { VerifiedSha256 = Digest.Sha256(v2) });
        Assert.That(plan, Is.EqualTo(new InstallPlan(InstallOutcome.Installed, SlotName.A, SlotName.B, false, Digest.Sha256(v2), v2.Length, "2.0")));

        // The file changed after the download check: Check believes the check (it does not read the image again) …
        var verified = Digest.Sha256(TestDisks.Image(13, 700_000));
        Assert.That(up.Check(path, new InstallRequest("2.0") { VerifiedSha256 = verified }).Sha256, Is.EqualTo(verified));
        Assert.That(rec.Writes, Is.Empty);
        // … and the install, which hashes what it writes, refuses it and leaves the target bad.
        var e = Assert.Throws<InstallRefusedException>(() =>
            up.Install(path, new InstallRequest("2.0", verified, v2.Length) { VerifiedSha256 = verified }))!;
        Assert.That(e.Message, Is.EqualTo($"{path}: the image changed since it was verified: it had sha256 {verified.ToHex()}, now {Digest.Sha256(v2).ToHex()}"));
        Assert.That(disk.BootControl.Load().Record.A.Reason, Is.EqualTo(BadReason.InstallFailed));
        Assert.That(disk.BootControl.Load().Record.Primary, Is.EqualTo(SlotName.B));

        // An expected hash that contradicts the verified one is refused before any write.
        rec.Writes.Clear();
        e = Assert.Throws<InstallRefusedException>(() =>
            up.Install(path, new InstallRequest("2.0", Digest.Sha256(v2)) { VerifiedSha256 = verified }))!;
        Assert.That(e.Message, Is.EqualTo($"{path}: hash mismatch: expected sha256 {Digest.Sha256(v2).ToHex()}, the image has {verified.ToHex()}"));
        Assert.That(rec.Writes, Is.Empty);

        var r = up.Install(path, new InstallRequest("2.0", plan.Sha256, plan.Size) { VerifiedSha256 = Digest.Sha256(v2) });
        Assert.That((r.Outcome, r.Target, r.Sha256), Is.EqualTo((InstallOutcome.Installed, SlotName.A, Digest.Sha256(v2))));
        Assert.That(TestDisks.SlotBytes(disk, SlotName.A, v2.Length), Is.EqualTo(v2));
    }

    [Test]
    public void A_delta_whose_body_changes_after_the_check_is_refused_by_the_hash_taken_while_applying()
    {
        // The first pass over a seekable delta's body refuses a corrupt one before anything is written; it cannot see a
        // file that changes afterwards. The hash taken while the ops are applied does, before the slot is made primary.
        var (_, _, disk, _, v1) = TestDisks.Running();
        var v2 = (byte[])v1.Clone();
        TestDisks.Image(14, 4096).CopyTo(v2, v2.Length - 4096);   // a random last block: the last op replaces it raw
        var delta = Delta(v1, v2);
        var source = new ChangesAfterRewind(delta, delta.Length - 1);
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B).Install(source, null, "d"))!;
        Assert.That(source.Changed, "the body changed after the first pass");
        Assert.That(e.Message, Does.StartWith("d: delta body is corrupt: sha256"));
        var st = disk.BootControl.Load().Record;
        Assert.That((st.Primary, st.A.State, st.A.Reason), Is.EqualTo(((SlotName?)SlotName.B, SlotState.Bad, BadReason.InstallFailed)));
    }

    /// <summary>A seekable stream whose byte at <paramref name="at"/> flips once it is rewound past the header (a file rewritten mid-install).</summary>
    private sealed class ChangesAfterRewind(byte[] data, int at) : MemoryStream(data, writable: false)
    {
        private readonly byte[] _data = data;
        private int _rewinds;
        public bool Changed { get; private set; }

        public override long Position
        {
            get => base.Position;
            set
            {
                base.Position = value;
                if (++_rewinds == 1)
                {
                    _data[at] ^= 0x5A;
                    Changed = true;
                }
            }
        }
    }

    [Test]
    public void Activate_makes_a_slot_that_holds_a_release_the_pending_primary_once()
    {
        var (_, rec, disk, v0, _) = TestDisks.Running();
        var up = new AbUpdater(disk, SlotName.B);
        var info = up.Activate(SlotName.A, 3);
        Assert.That((info.State, info.TriesLeft), Is.EqualTo((SlotState.Pending, (byte)3)));
        var st = disk.BootControl.Load().Record;
        Assert.That((st.Primary, st.A.Sha256, st.B.State), Is.EqualTo(((SlotName?)SlotName.A, Digest.Sha256(v0), SlotState.Good)));
        Assert.That(rec.Points, Is.EqualTo(new[] { "mark-primary", "bootctl-write", "mark-primary-done" }));
        var writes = rec.Writes.Count;
        up.Activate(SlotName.A, 3);
        Assert.That(rec.Writes, Has.Count.EqualTo(writes), "activating it again writes nothing");
        Assert.That(Bootloader.Boot(disk, BootPolicy.FullCheck).Slot, Is.EqualTo(SlotName.A));
    }

    [Test]
    public void Activate_refuses_the_booted_slot_and_a_slot_without_a_release()
    {
        var (_, _, disk) = TestDisks.Create();
        var v0 = TestDisks.Image(1, MiB);
        TestDisks.InstallGood(disk, null, v0, "0");
        Assert.That(Assert.Throws<AbStateException>(() => new AbUpdater(disk, SlotName.A).Activate(SlotName.B))!.Message,
            Does.EndWith("cannot make slot B primary: it is empty"));
        Assert.That(Assert.Throws<AbStateException>(() => new AbUpdater(disk, SlotName.A).Activate(SlotName.A))!.Message,
            Does.EndWith("slot A is the booted slot; only the other slot can be activated for a try"));
    }

    [Test]
    public void RollbackTo_abandons_an_unconfirmed_slot_and_is_a_no_op_when_repeated()
    {
        var (_, rec, disk, _, _) = TestDisks.Running();
        var v2 = TestDisks.Image(9, MiB);
        var up = new AbUpdater(disk, SlotName.B);
        up.Install(new MemoryStream(v2));
        // Not rebooted yet: B still runs, A is the pending primary. Revert: B stays primary, A is never tried.
        Assert.That(up.RollbackTo(SlotName.B), Is.EqualTo(SlotName.B));
        var st = disk.BootControl.Load().Record;
        Assert.That((st.Primary, st.A.State, st.A.Reason), Is.EqualTo(((SlotName?)SlotName.B, SlotState.Bad, BadReason.RolledBack)));
        var writes = rec.Writes.Count;
        up.RollbackTo(SlotName.B);
        Assert.That(rec.Writes, Has.Count.EqualTo(writes), "already so: nothing written");
        Assert.That(Assert.Throws<AbStateException>(() => up.RollbackTo(SlotName.A))!.Message, Does.EndWith("cannot roll back to slot A: it is bad (rolled back)"));
    }
}
