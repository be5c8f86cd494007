using Google.Protobuf;
using HilRig.AbUpdate;
using HilRig.Storage.PowerLoss;
using HilRig.Update.Protocol;
using HilRig.Update.Um;
using NUnit.Framework;

namespace HilRig.Update.Tests.Um;

/// <summary>
/// <c>rootfs-ab</c> through the update handler, on a real A/B disk (GPT, redundant boot control, Merkle trees) that
/// outlives the node's boots: every reboot runs the bootloader and the health check before the UM starts again, and
/// a power cut loses what the disk had not flushed.
/// </summary>
public class RootfsAbModuleTests
{
    private static ModuleConfig Rootfs() => new("rootfs", "rootfs-ab", RebootPriority: 10);

    private static ModuleConfig Fw(string failAt = "") =>
        new("fw", "test", Params: new Dictionary<string, string> { ["version"] = "1.0", ["failAt"] = failAt });

    /// <summary>A node whose disk runs release 1.0 in slot A, with a rootfs-ab module (and <paramref name="more"/>).</summary>
    private static UmNode Node(string name, params ModuleConfig[] more)
    {
        var node = new UmNode(name) { Disk = NodeDisk.Running("1.0") };
        node.Config = node.Config with { Modules = [Rootfs(), .. more] };
        return node;
    }

    private static byte[] Delta(byte[] from, byte[] to, string version)
    {
        var ms = new MemoryStream();
        BlockDelta.Create(new MemoryStream(from), new MemoryStream(to), ms, new DeltaOptions(BrotliQuality: 5, Version: version));
        return ms.ToArray();
    }

    private static Digest Sha(string path) => Digest.Sha256(File.ReadAllBytes(path));

    [Test]
    public async Task FullImage_GoesIntoTheInactiveSlot_TheNodeRebootsIntoIt_AndApplyCommitsIt()
    {
        await using var node = Node("rootfs-full");
        var disk = node.Disk!;
        var h = await node.Boot();
        Assert.That(h.Status().Components.Single().Version, Is.EqualTo("1.0"), "the installed version is what the booted slot records");
        var slotA = disk.Partition(SlotName.A);
        var image = node.Image("rootfs-2.0.img", NodeDisk.Release("2.0"));

        var ops = disk.Device.OpCount;
        Assert.That((await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", image)), default)).UpdateState, Is.EqualTo(UpdateState.Prepared));
        Assert.That(disk.Device.OpCount, Is.EqualTo(ops), "Prepare checks and writes nothing");

        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        Assert.That(node.Reboot.Reasons, Is.EqualTo(new[] { "rootfs-ab 'rootfs' switches slot" }));
        var rec = disk.Record;
        Assert.That((rec.Primary, rec.B.State, rec.B.TriesLeft, rec.B.Version, rec.B.Sha256),
            Is.EqualTo(((SlotName?)SlotName.B, SlotState.Pending, (byte)3, "2.0", Sha(image))));

        h = await node.Boot();
        Assert.That(disk.Boots[^1].BootLine, Is.EqualTo($"boot: slot B version 2.0 sha256 {Sha(image).ToHex()} (pending (2 tries left))"));
        Assert.That(h.State.State, Is.EqualTo(UpdateState.Updated), "after the reboot, the repeated Update confirmed the new slot");
        ops = disk.Device.OpCount;
        Assert.That(await h.Modules.Single().UpdateAsync(default), Is.False, "Update once more only confirms");
        Assert.That(disk.Device.OpCount, Is.EqualTo(ops));

        var done = await h.HandleAsync(UmNode.Apply, default);
        Assert.That((done.UpdateState, done.Components.Single().Version), Is.EqualTo((UpdateState.Idle, "2.0")));
        rec = disk.Record;
        Assert.That((rec.Primary, rec.B.State, rec.A.State), Is.EqualTo(((SlotName?)SlotName.B, SlotState.Good, SlotState.Good)));
        Assert.That(disk.Partition(SlotName.A), Is.EqualTo(slotA), "the old slot is the fallback, not overwritten with a copy of the new one");
        ops = disk.Device.OpCount;
        Assert.That(await h.Modules.Single().ApplyAsync(default), Is.False);
        Assert.That(disk.Device.OpCount, Is.EqualTo(ops), "Apply once more changes nothing");
        Assert.That(node.Reboot.Reboots, Is.EqualTo(1));
        Assert.That((await node.Boot()).Status().Components.Single().Version, Is.EqualTo("2.0"));
        Assert.That(disk.Boots[^1].Slot, Is.EqualTo(SlotName.B));
    }

    [Test]
    public async Task BlockDelta_IsCheckedInPrepare_PatchesTheInactiveSlot_AndEndsOnTheFullImagesHash()
    {
        await using var node = Node("rootfs-delta");
        var disk = node.Disk!;
        var h = await node.Boot();
        var v10 = NodeDisk.Release("1.0");
        var v11 = v10.ToArray();
        for (var block = 40; block < 43; block++) v11[block * 4096 + 7] ^= 0x5A; // a patch: three blocks change
        var delta = Delta(v10, v11, "1.1");
        Assert.That(delta.Length, Is.LessThan(v11.Length / 8), "a patch, not a full image");
        var path = node.Image("1.0-to-1.1.delta", delta);

        var ops = disk.Device.OpCount;
        Assert.That((await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "1.1", path)), default)).UpdateState, Is.EqualTo(UpdateState.Prepared));
        Assert.That(disk.Device.OpCount, Is.EqualTo(ops));
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        h = await node.Boot();
        Assert.That((h.State.State, disk.Booted.Slot), Is.EqualTo((UpdateState.Updated, SlotName.B)));
        Assert.That(disk.Record.B.Sha256, Is.EqualTo(Digest.Sha256(v11)));
        Assert.That(disk.SlotImage(SlotName.B, v11.Length), Is.EqualTo(v11));
        var done = await h.HandleAsync(UmNode.Apply, default);
        Assert.That((done.UpdateState, done.Components.Single().Version, disk.Record.B.State), Is.EqualTo((UpdateState.Idle, "1.1", SlotState.Good)));
    }

    [Test]
    public async Task Revert_BeforeTheReboot_KeepsTheOldSlotWithoutAReboot_AndTheNewSlotIsNeverTried()
    {
        await using var node = Node("rootfs-revert-early", Fw(failAt: "update"));
        var disk = node.Disk!;
        var h = await node.Boot();
        var slotA = disk.Partition(SlotName.A);
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", node.Image("r", NodeDisk.Release("2.0"))),
            UmNode.Component("fw", "2.0", node.Image("fw", "fw"))), default);

        // Same priority group: rootfs installs and asks for a reboot, fw fails, so nobody reboots.
        var failed = await h.HandleAsync(UmNode.Start, default);
        Assert.That((failed.UpdateState, failed.Error.Message), Is.EqualTo((UpdateState.Failed, "module 'fw' update: test module 'fw' fails at update on request")));
        Assert.That((disk.Record.Primary, disk.Record.B.State), Is.EqualTo(((SlotName?)SlotName.B, SlotState.Pending)));

        var reverted = await h.HandleAsync(UmNode.Revert, default);
        Assert.That(reverted.UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That(reverted.Components.Single(c => c.ComponentId == "rootfs").Version, Is.EqualTo("1.0"));
        var rec = disk.Record;
        Assert.That((rec.Primary, rec.B.State, rec.B.Reason), Is.EqualTo(((SlotName?)SlotName.A, SlotState.Bad, BadReason.RolledBack)));
        Assert.That(node.Reboot.Reboots, Is.Zero, "running the old slot: no reboot needed");
        await node.Boot();
        Assert.That(disk.Boots[^1].Slot, Is.EqualTo(SlotName.A), "the next boot never tries the abandoned slot");
        Assert.That(disk.Partition(SlotName.A), Is.EqualTo(slotA));
    }

    [Test]
    public async Task Revert_AfterBootingTheNewSlot_RebootsBackToTheOldSlot()
    {
        await using var node = Node("rootfs-revert-late");
        var disk = node.Disk!;
        var h = await node.Boot();
        var slotA = disk.Partition(SlotName.A);
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", node.Image("r", NodeDisk.Release("2.0")))), default);
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        h = await node.Boot();
        Assert.That((h.State.State, disk.Booted.Slot), Is.EqualTo((UpdateState.Updated, SlotName.B)));

        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Revert, default));
        var rec = disk.Record;
        Assert.That((rec.Primary, rec.B.State, rec.B.Reason), Is.EqualTo(((SlotName?)SlotName.A, SlotState.Bad, BadReason.RolledBack)));

        h = await node.Boot(); // the revert resumes and confirms the node is back on A
        Assert.That((h.State.State, disk.Booted.Slot), Is.EqualTo((UpdateState.Idle, SlotName.A)));
        Assert.That(h.Status().Components.Single().Version, Is.EqualTo("1.0"));
        Assert.That(node.Reboot.Reboots, Is.EqualTo(2));
        Assert.That(disk.Boots.Select(b => b.Slot), Is.EqualTo(new SlotName?[] { SlotName.A, SlotName.B, SlotName.A }));
        Assert.That(disk.Partition(SlotName.A), Is.EqualTo(slotA));
    }

    [Test]
    public async Task NewSlotFailingItsHealthCheck_FallsBack_AndTheRepeatedUpdateFails()
    {
        await using var node = Node("rootfs-fallback");
        var disk = node.Disk!;
        var h = await node.Boot();
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", node.Image("r", NodeDisk.Release("2.0", healthy: false)))), default);
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));

        h = await node.Boot(); // B fails its health check three times, then the bootloader falls back to A
        Assert.That(disk.Boots.Select(b => b.Slot), Is.EqualTo(new SlotName?[] { SlotName.A, SlotName.B, SlotName.B, SlotName.B, SlotName.A }));
        var status = h.Status();
        Assert.That(status.UpdateState, Is.EqualTo(UpdateState.Failed));
        Assert.That(status.Error.Message, Does.StartWith("module 'rootfs' update: rootfs-ab 'rootfs': booted slot A (1.0 (")
            .And.EndWith("after the update, expected slot B with version 2.0; slot B is bad (tries exhausted without mark-good)"));
        var reverted = await h.HandleAsync(UmNode.Revert, default);
        Assert.That((reverted.UpdateState, reverted.Components.Single().Version), Is.EqualTo((UpdateState.Idle, "1.0")));
        Assert.That(node.Reboot.Reboots, Is.EqualTo(1), "already on the old slot: the revert needs no reboot");
    }

    [Test]
    public async Task PowerCutDuringTheSlotWrite_TheNodeComesBackOnTheOldSlot_AndTheResumedUpdateInstallsAgain()
    {
        await using var node = Node("rootfs-cut-write");
        var disk = node.Disk!;
        var h = await node.Boot();
        var slotA = disk.Partition(SlotName.A);
        var image = node.Image("r", NodeDisk.Release("2.0"));
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", image)), default);
        disk.Device.Plan = new CutPlan(CutPoint.Parse("@slot-write#1"), 7);
        var cut = Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default))!;
        Assert.That(cut.Message, Does.Contain("power lost: power cut during op"));
        Assert.That((disk.Record.Primary, disk.Record.B.State, disk.Record.B.Reason), Is.EqualTo(((SlotName?)SlotName.A, SlotState.Bad, BadReason.Installing)));

        // Power on: A boots; the UM resumes Update, installs again and asks for the reboot.
        Assert.ThrowsAsync<SystemRebootException>(() => node.Boot());
        Assert.That(disk.Boots[^1].Slot, Is.EqualTo(SlotName.A));
        h = await node.Boot();
        Assert.That((h.State.State, disk.Booted.Slot, disk.Record.B.Sha256), Is.EqualTo((UpdateState.Updated, SlotName.B, Sha(image))));
        Assert.That((await h.HandleAsync(UmNode.Apply, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That(node.Reboot.Reboots, Is.EqualTo(1), "the cut is no reboot anybody asked for");
        Assert.That(disk.Partition(SlotName.A), Is.EqualTo(slotA));
    }

    [Test]
    public async Task PowerCutWhileMarkingTheNewSlotPrimary_EndsOnTheNewSlotWhicheverCopyOfBootControlSurvives()
    {
        // The torn boot-control write leaves either the old record (B still marked bad: install again) or the new
        // one (B primary: the power-on boots it and the resumed Update confirms it). Seeds pick both.
        var firstBoot = new HashSet<SlotName?>();
        for (ulong seed = 1; seed <= 8; seed++)
        {
            await using var node = Node($"rootfs-cut-primary-{seed}");
            var disk = node.Disk!;
            var h = await node.Boot();
            var image = node.Image("r", NodeDisk.Release("2.0"));
            await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", image)), default);
            disk.Device.Plan = new CutPlan(CutPoint.Parse("@bootctl-write#2"), seed);
            Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
            try { h = await node.Boot(); }
            catch (SystemRebootException) { h = await node.Boot(); } // came back on A: installed again, rebooted
            firstBoot.Add(disk.Boots[1].Slot);
            Assert.That((h.State.State, disk.Booted.Slot, disk.Record.B.Sha256), Is.EqualTo((UpdateState.Updated, SlotName.B, Sha(image))), $"seed {seed}");
            Assert.That((await h.HandleAsync(UmNode.Apply, default)).UpdateState, Is.EqualTo(UpdateState.Idle), $"seed {seed}");
            Assert.That(disk.Record.B.State, Is.EqualTo(SlotState.Good), $"seed {seed}");
        }
        Assert.That(firstBoot, Is.EquivalentTo(new SlotName?[] { SlotName.A, SlotName.B }), "both outcomes of the torn write were exercised");
    }

    [Test]
    public async Task PowerCutDuringApplysMarkGood_IsFinishedAtTheNextBoot()
    {
        await using var node = Node("rootfs-cut-apply");
        var disk = node.Disk!;
        var h = await node.Boot();
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", node.Image("r", NodeDisk.Release("2.0")))), default);
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        h = await node.Boot();
        disk.Device.Plan = new CutPlan(CutPoint.Parse("@mark-good#1"), 3);
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Apply, default));
        Assert.That(disk.Record.B.State, Is.EqualTo(SlotState.Pending), "the commit did not reach the disk");

        h = await node.Boot(); // B still has tries: it boots, and the UM finishes Apply
        Assert.That((h.State.State, disk.Booted.Slot, disk.Record.B.State), Is.EqualTo((UpdateState.Idle, SlotName.B, SlotState.Good)));
        Assert.That(h.Status().Components.Single().Version, Is.EqualTo("2.0"));
    }

    [Test]
    public async Task BackToTheReleaseTheOtherSlotStillHolds_WritesNoSlot_ButTheSlotIsTriedAndCommittedAgain()
    {
        await using var node = Node("rootfs-back");
        var disk = node.Disk!;
        var h = await node.Boot();
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", node.Image("r2", NodeDisk.Release("2.0")))), default);
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        h = await node.Boot();
        await h.HandleAsync(UmNode.Apply, default);

        // The cloud moves the unit back to the previous image: release 1.0, which slot A still holds.
        var slotA = disk.Partition(SlotName.A);
        var back = UmNode.Component("rootfs", "1.0", node.Image("r1", NodeDisk.Release("1.0")));
        back.Annotations = """{"hilrig.downgrade": true}""";
        Assert.That((await h.HandleAsync(UmNode.Prepare(3, back), default)).UpdateState, Is.EqualTo(UpdateState.Prepared));
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        Assert.That((disk.Record.Primary, disk.Record.A.State, disk.Record.A.TriesLeft), Is.EqualTo(((SlotName?)SlotName.A, SlotState.Pending, (byte)3)));
        h = await node.Boot();
        Assert.That((h.State.State, disk.Booted.Slot), Is.EqualTo((UpdateState.Updated, SlotName.A)));
        var done = await h.HandleAsync(UmNode.Apply, default);
        Assert.That((done.UpdateState, done.Components.Single().Version, disk.Record.A.State), Is.EqualTo((UpdateState.Idle, "1.0", SlotState.Good)));
        Assert.That(disk.Partition(SlotName.A), Is.EqualTo(slotA), "only boot control changed");
    }

    [Test]
    public async Task ImageTheNodeAlreadyRuns_NeedsNoWriteAndNoReboot()
    {
        await using var node = Node("rootfs-same");
        var disk = node.Disk!;
        var h = await node.Boot();
        var ops = disk.Device.OpCount;
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "1.0.1", node.Image("r", NodeDisk.Release("1.0")))), default);
        Assert.That((await h.HandleAsync(UmNode.Start, default)).UpdateState, Is.EqualTo(UpdateState.Updated));
        var done = await h.HandleAsync(UmNode.Apply, default);
        Assert.That((done.UpdateState, done.Components.Single().Version), Is.EqualTo((UpdateState.Idle, "1.0.1")));
        Assert.That((node.Reboot.Reboots, disk.Device.OpCount), Is.EqualTo((0, ops)));
    }

    [Test]
    public async Task ImageChangedAfterPrepare_FailsItsHashCheckInUpdate_TheActiveSlotUntouched()
    {
        await using var node = Node("rootfs-changed");
        var disk = node.Disk!;
        var h = await node.Boot();
        var slotA = disk.Partition(SlotName.A);
        var image = node.Image("r", NodeDisk.Release("2.0"));
        var prepared = Sha(image);
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", image)), default);
        File.WriteAllBytes(image, NodeDisk.Release("2.1")); // the shared storage changed under the UM

        var failed = await h.HandleAsync(UmNode.Start, default);
        Assert.That(failed.UpdateState, Is.EqualTo(UpdateState.Failed));
        Assert.That(failed.Error.Message, Is.EqualTo($"module 'rootfs' update: {image}: hash mismatch: expected sha256 {prepared.ToHex()}, the image has {Sha(image).ToHex()}"));
        var rec = disk.Record;
        Assert.That((rec.Primary, rec.B.State, rec.B.Reason), Is.EqualTo(((SlotName?)SlotName.A, SlotState.Bad, BadReason.InstallFailed)));
        Assert.That(node.Reboot.Reboots, Is.Zero);
        Assert.That((await h.HandleAsync(UmNode.Revert, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
        await node.Boot();
        Assert.That(disk.Boots[^1].Slot, Is.EqualTo(SlotName.A));
        Assert.That(disk.Partition(SlotName.A), Is.EqualTo(slotA));
    }

    [Test]
    public async Task Prepare_TakesTheDigestTheHandlerVerified_UpdateStillChecksTheBytesItWrites()
    {
        await using var node = Node("rootfs-verified");
        var disk = node.Disk!;
        var h = await node.Boot();
        var slotA = disk.Partition(SlotName.A);
        var image = node.Image("r", NodeDisk.Release("2.0"));
        var verified = Digest.Sha256(NodeDisk.Release("2.1")); // what the handler checked, not what the file holds now
        var module = h.Modules.Single();

        await module.PrepareAsync(new StagedImage(image, "2.0", null, verified.ToArray()), default);
        var refused = Assert.ThrowsAsync<InstallRefusedException>(() => module.UpdateAsync(default));
        Assert.That(refused!.Message, Does.Contain($"the image changed since it was verified: it had sha256 {verified.ToHex()}, now {Sha(image).ToHex()}")
            .Or.Contains($"hash mismatch: expected sha256 {verified.ToHex()}, the image has {Sha(image).ToHex()}"));
        Assert.That((disk.Record.Primary, disk.Partition(SlotName.A)), Is.EqualTo(((SlotName?)SlotName.A, slotA)), "the running slot stays primary and unwritten");
    }

    /// <summary>Bad inputs, by name: the component the CM sends, and the start of the error (given the image's path).</summary>
    private static readonly Dictionary<string, (Func<UmNode, PrepareComponentInfo> Component, Func<string, string> Error)> Bad = BadInputs().ToDictionary();

    private static IEnumerable<KeyValuePair<string, (Func<UmNode, PrepareComponentInfo>, Func<string, string>)>> BadInputs()
    {
        yield return Case("truncated filesystem image", node =>
        {
            var squash = NodeDisk.Release("2.0");
            "hsqs"u8.CopyTo(squash);
            BitConverter.GetBytes(2L << 20).CopyTo(squash, 40); // its superblock says 2 MiB; the file has 1 MiB
            return UmNode.Component("rootfs", "2.0", node.Image("squash", squash));
        }, path => $"module 'rootfs' prepare: {path}: image truncated: its squashfs superblock declares 2097152 bytes, the file ends at offset 1048576");
        yield return Case("truncated download", node =>
        {
            var path = node.Image("short", NodeDisk.Release("2.0"));
            var info = UmNode.Component("rootfs", "2.0", path);
            File.WriteAllBytes(path, NodeDisk.Release("2.0")[..700_000]);
            return info;
        }, _ => "component 'rootfs': image is 700000 bytes, the CM said 1048576");
        yield return Case("wrong hash", node =>
        {
            var info = UmNode.Component("rootfs", "2.0", node.Image("img", NodeDisk.Release("2.0")));
            info.Sha256 = ByteString.CopyFrom(Digest.Sha256(NodeDisk.Release("2.1")).ToArray());
            return info;
        }, _ => "component 'rootfs': image sha256 ");
        yield return Case("image larger than the slot", node =>
            UmNode.Component("rootfs", "2.0", node.Image("big", new byte[NodeDisk.SlotCapacity + 4096])),
            path => $"module 'rootfs' prepare: {path}: image is {NodeDisk.SlotCapacity + 4096} bytes, larger than slot B (partition 3 'rootfs_b'");
        yield return Case("delta for another source", node =>
            UmNode.Component("rootfs", "2.0", node.Image("d", Delta(NodeDisk.Release("0.9"), NodeDisk.Release("2.0"), "2.0"))),
            path => $"module 'rootfs' prepare: {path}: delta made for another source: it needs sha256 {Digest.Sha256(NodeDisk.Release("0.9")).ToHex()}");
        yield return Case("truncated delta", node =>
        {
            var delta = Delta(NodeDisk.Release("1.0"), NodeDisk.Release("2.0"), "2.0");
            return UmNode.Component("rootfs", "2.0", node.Image("d", delta[..^1000]));
        }, path => $"module 'rootfs' prepare: {path}: delta truncated: ");
    }

    private static KeyValuePair<string, (Func<UmNode, PrepareComponentInfo>, Func<string, string>)> Case(
        string name, Func<UmNode, PrepareComponentInfo> component, Func<string, string> error) => new(name, (component, error));

    private static IEnumerable<TestCaseData> BadInputNames() =>
        BadInputs().Select(c => new TestCaseData(c.Key).SetName($"BadInput_{c.Key.Replace(' ', '_')}_IsRefusedBeforeAnyWrite"));

    /// <summary>Each bad input is refused in Prepare (or by the handler before it), and the disk is not written at all.</summary>
    [TestCaseSource(nameof(BadInputNames))]
    public async Task BadInput(string name)
    {
        var (component, error) = Bad[name];
        await using var node = Node("rootfs-bad");
        var disk = node.Disk!;
        var h = await node.Boot();
        var before = (A: disk.Partition(SlotName.A), B: disk.Partition(SlotName.B), Ops: disk.Device.OpCount);
        var info = component(node);
        var status = await h.HandleAsync(UmNode.Prepare(2, info), default);
        Assert.That(status.UpdateState, Is.EqualTo(UpdateState.Failed));
        Assert.That(status.Error.Message, Does.StartWith(error(new Uri(info.Url).LocalPath)));
        Assert.That(disk.Device.OpCount, Is.EqualTo(before.Ops), "no write, flush or trim reached the disk");
        Assert.That((await h.HandleAsync(UmNode.Revert, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That((disk.Partition(SlotName.A), disk.Partition(SlotName.B)), Is.EqualTo((before.A, before.B)));
        Assert.That((disk.Record.Primary, node.Reboot.Reboots), Is.EqualTo(((SlotName?)SlotName.A, 0)));
    }

    /// <summary>
    /// Issue 13: the component's <c>hilrig.root-signature</c> annotation goes into boot control, and the node's boot
    /// trusts the new slot's root because the release key signed it; without it, a node that trusts only signed roots
    /// refuses the component in Prepare, before any write.
    /// </summary>
    [Test]
    public async Task A_signed_root_travels_in_the_annotation_and_an_unsigned_one_is_refused_in_prepare()
    {
        using var signer = ReleaseSigner.Generate();
        await using var node = new UmNode("rootfs-signed") { Disk = NodeDisk.Running("1.0", signer) };
        node.Config = node.Config with { Modules = [Rootfs()] };
        var disk = node.Disk!;
        var h = await node.Boot();
        var release = NodeDisk.Release("2.0");
        var image = node.Image("rootfs-2.0.img", release);

        var ops = disk.Device.OpCount;
        var refused = await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", image)), default);
        Assert.That(refused.Error.Message, Does.Contain("no root signature: this device boots only releases whose Merkle root is signed by a key of keyring; nothing was written"));
        Assert.That(disk.Device.OpCount, Is.EqualTo(ops), "nothing was written");
        await h.HandleAsync(UmNode.Revert, default);

        var signed = UmNode.Component("rootfs", "2.0", image);
        signed.Annotations = new System.Text.Json.Nodes.JsonObject { [Update.Um.Modules.RootfsAbModule.RootSignatureAnnotation] = signer.SignImage(release, "2.0").ToText() }.ToJsonString();
        Assert.That((await h.HandleAsync(UmNode.Prepare(3, signed), default)).UpdateState, Is.EqualTo(UpdateState.Prepared));
        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        Assert.That(disk.Record.B.Signature.KeyId, Is.EqualTo(signer.KeyId));
        h = await node.Boot();
        Assert.That(disk.Booted.Slot, Is.EqualTo(SlotName.B));
        Assert.That(disk.Boots[^1].Log, Has.Some.StartsWith("root signature check: slot B: Merkle root"));
    }

    [Test]
    public async Task Prepare_WhileTheRunningSlotIsUnconfirmed_IsRefused()
    {
        await using var node = Node("rootfs-unconfirmed");
        var disk = node.Disk!;
        // Slot B was installed by hand (`ab install`) and booted, and nobody confirmed it yet.
        new AbUpdater(AbDisk.Open(disk.Media), SlotName.A).Install(new MemoryStream(NodeDisk.Release("1.5")), new InstallRequest("1.5"));
        var h = await node.Boot();
        Assert.That(disk.Booted.Slot, Is.EqualTo(SlotName.B));
        var ops = disk.Device.OpCount;
        var status = await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("rootfs", "2.0", node.Image("r", NodeDisk.Release("2.0")))), default);
        Assert.That(status.Error.Message, Is.EqualTo(
            "module 'rootfs' prepare: rootfs-ab 'rootfs': the running slot B is pending (2 tries left), not confirmed; an update would overwrite its only fallback (confirm it or let it fall back first)"));
        Assert.That(disk.Device.OpCount, Is.EqualTo(ops));
    }

    [Test]
    public async Task NodeWithoutAnAbDisk_FailsToStartItsUm_SayingWhy()
    {
        await using var node = new UmNode("rootfs-nodisk", Rootfs());
        var e = Assert.ThrowsAsync<UmConfigException>(() => node.Boot())!;
        Assert.That(e.Message, Is.EqualTo("rootfs-ab 'rootfs': node has no A/B disk; the module updates the disk the node boots from"));
    }
}
