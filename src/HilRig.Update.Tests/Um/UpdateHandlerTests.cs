using HilRig.AbUpdate;
using HilRig.Update.Protocol;
using HilRig.Update.Um;
using HilRig.Update.Um.Modules;
using NUnit.Framework;

namespace HilRig.Update.Tests.Um;

public class UpdateHandlerTests
{
    private static ModuleConfig FileModule(string id, string target, int priority = 0) =>
        new(id, "file", UpdatePriority: priority, Params: new Dictionary<string, string> { ["path"] = target, ["version"] = "1.0" });

    private static ModuleConfig TestModule(string id, string? failAt = null, bool reboot = false, int rebootPriority = 0) =>
        new(id, "test", RebootPriority: rebootPriority, Params: new Dictionary<string, string>
        {
            ["version"] = "1.0", ["failAt"] = failAt ?? "", ["reboot"] = reboot ? "update" : "",
        });

    [Test]
    public async Task FullCycle_FileModule_WritesAtomicallyAndPersistsEveryTransition()
    {
        await using var node = new UmNode("um-file", FileModule("config", "placeholder"));
        var target = Path.Combine(node.Directory, "etc", "app.conf");
        node.Config = node.Config with { Modules = [FileModule("config", target)] };
        var h = await node.Boot();
        var image = node.Image("app.conf.v2", "v2");

        Assert.That((await h.HandleAsync(UmNode.Prepare(7, UmNode.Component("config", "2.0", image)), default)).UpdateState, Is.EqualTo(UpdateState.Prepared));
        Assert.That(File.Exists(target), Is.False, "Prepare only stages");
        Assert.That((await h.HandleAsync(UmNode.Start, default)).UpdateState, Is.EqualTo(UpdateState.Updated));
        Assert.That(File.ReadAllText(target), Is.EqualTo("v2"));
        var done = await h.HandleAsync(UmNode.Apply, default);
        Assert.That((done.UpdateState, done.ImageVersion), Is.EqualTo((UpdateState.Idle, 7UL)));
        Assert.That(done.Components.Single().Version, Is.EqualTo("2.0"));
        Assert.That(node.Store.Transitions(), Is.EqualTo(new (UpdateState, string?)[]
        {
            (UpdateState.Prepared, null), (UpdateState.Prepared, "update"), (UpdateState.Updated, null),
            (UpdateState.Updated, "apply"), (UpdateState.Idle, null),
        }));
    }

    [Test]
    public async Task Revert_AfterUpdate_FileModuleRestoresTheOldFile()
    {
        await using var node = new UmNode("um-revert");
        var target = node.Image("app.conf", "v1");
        node.Config = node.Config with { Modules = [FileModule("config", target)] };
        var h = await node.Boot();
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("config", "2.0", node.Image("v2", "v2"))), default);
        await h.HandleAsync(UmNode.Start, default);
        Assert.That(File.ReadAllText(target), Is.EqualTo("v2"));
        var status = await h.HandleAsync(UmNode.Revert, default);
        Assert.That(status.UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That(File.ReadAllText(target), Is.EqualTo("v1"));
        Assert.That(status.Components.Single().Version, Is.EqualTo("1.0"));
    }

    [Test]
    public async Task PowerCutBetweenTheRenameAndItsStateWrite_TheOldFileIsStillRestoredByRevert()
    {
        // Issue 13 defect (found by reading; this test failed before the fix): the power went after the staged file
        // was renamed over the target but before the module recorded it, so the repeated Update found nothing staged
        // and failed, and Revert, seeing no record of the rename, left the new file in place of the old one.
        await using var node = new UmNode("um-file-cut");
        var target = node.Image("app.conf", "v1");
        node.Config = node.Config with { Modules = [FileModule("config", target)] };
        var h = await node.Boot();
        await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("config", "2.0", node.Image("v2", "v2"))), default);
        Update.Storage.DurableFile.Observer.Value = e =>
        {
            if (e == $"rename {target}.hilrig-new -> {target}") throw new OperationCanceledException("power cut");
        };
        Assert.ThrowsAsync<OperationCanceledException>(() => h.HandleAsync(UmNode.Start, default));
        Update.Storage.DurableFile.Observer.Value = null;
        Assert.That(File.ReadAllText(target), Is.EqualTo("v2"), "the rename reached the disk");

        h = await node.Boot();
        var again = await h.HandleAsync(UmNode.Start, default);
        Assert.That(again.UpdateState, Is.EqualTo(UpdateState.Updated), again.Error?.Message);
        var reverted = await h.HandleAsync(UmNode.Revert, default);
        Assert.That(reverted.UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That(File.ReadAllText(target), Is.EqualTo("v1"), "the backup went back over the target");
        Assert.That(File.Exists(target + ".hilrig-old"), Is.False);
    }

    [TestCase("1.0", "component 'config': version 1.0 is already installed")]
    [TestCase("0.9", "component 'config': version downgrade from 1.0 to 0.9 has been rejected")]
    public async Task Prepare_EqualOrLowerVersion_FailsWithoutTouchingTheModule(string version, string error)
    {
        await using var node = new UmNode("um-down");
        var target = node.Image("app.conf", "v1");
        node.Config = node.Config with { Modules = [FileModule("config", target)] };
        var h = await node.Boot();
        var status = await h.HandleAsync(UmNode.Prepare(2, UmNode.Component("config", version, node.Image("x", "x"))), default);
        Assert.That((status.UpdateState, status.Error.Message), Is.EqualTo((UpdateState.Failed, error)));
        Assert.That(File.Exists(target + ".hilrig-new"), Is.False);
        Assert.That((await h.HandleAsync(UmNode.Revert, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
    }

    [Test]
    public async Task Update_ModuleFailsOnRequest_FailedThenRevertToIdle()
    {
        await using var node = new UmNode("um-fail", TestModule("fw", failAt: "update"));
        var h = await node.Boot();
        await h.HandleAsync(UmNode.Prepare(3, UmNode.Component("fw", "2.0", node.Image("fw", "fw"))), default);
        var failed = await h.HandleAsync(UmNode.Start, default);
        Assert.That(failed.UpdateState, Is.EqualTo(UpdateState.Failed));
        Assert.That(failed.Error.Message, Is.EqualTo("module 'fw' update: test module 'fw' fails at update on request"));
        Assert.That(failed.Components.Single(c => c.State == ComponentState.Error).Version, Is.EqualTo("2.0"));
        Assert.That((await h.HandleAsync(UmNode.Revert, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
        var journal = ((TestModule)h.Modules.Single()).Journal;
        Assert.That(journal, Is.EqualTo(new[] { "init", "prepare:2.0", "update", "revert" }));
    }

    [Test]
    public async Task Commands_OutOfOrder_AreIgnoredOrRepeatedSafely()
    {
        await using var node = new UmNode("um-order", TestModule("fw"));
        var h = await node.Boot();
        Assert.That((await h.HandleAsync(UmNode.Start, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That((await h.HandleAsync(UmNode.Revert, default)).UpdateState, Is.EqualTo(UpdateState.Idle));
        var prepare = UmNode.Prepare(3, UmNode.Component("fw", "2.0", node.Image("fw", "fw")));
        await h.HandleAsync(prepare, default);
        Assert.That((await h.HandleAsync(prepare, default)).UpdateState, Is.EqualTo(UpdateState.Prepared), "a re-sent Prepare is answered, not redone");
        Assert.That((await h.HandleAsync(UmNode.Apply, default)).UpdateState, Is.EqualTo(UpdateState.Prepared), "apply before start is refused");
        Assert.That(((TestModule)h.Modules.Single()).Journal.Count(s => s.StartsWith("prepare")), Is.EqualTo(1));
    }

    [Test]
    public async Task Update_TwoModulesNeedingAReboot_OneSystemRebootServesBoth()
    {
        await using var node = new UmNode("um-reboot") { Disk = NodeDisk.Running("1.0") };
        node.Config = node.Config with
        {
            Modules =
            [
                new ModuleConfig("rootfs", "rootfs-ab", UpdatePriority: 1, RebootPriority: 10),
                TestModule("bios", reboot: true, rebootPriority: 5),
            ],
        };
        var h = await node.Boot();
        var rootfs = node.Image("rootfs.img", NodeDisk.Release("2.0"));
        await h.HandleAsync(UmNode.Prepare(4, UmNode.Component("rootfs", "2.0", rootfs), UmNode.Component("bios", "2.0", node.Image("bios", "b"))), default);

        Assert.ThrowsAsync<SystemRebootException>(() => h.HandleAsync(UmNode.Start, default));
        Assert.That(node.Reboot.Reasons, Is.EqualTo(new[] { "rootfs-ab 'rootfs' switches slot" }), "the higher reboot priority reboots; bios waits");

        h = await node.Boot(); // the step resumes on the new boot
        Assert.That(h.State.State, Is.EqualTo(UpdateState.Updated));
        Assert.That(node.Disk.Booted.Slot, Is.EqualTo(SlotName.B));
        Assert.That(node.Disk.SlotImage(SlotName.B, NodeDisk.ReleaseSize), Is.EqualTo(File.ReadAllBytes(rootfs)));
        var done = await h.HandleAsync(UmNode.Apply, default);
        Assert.That(done.UpdateState, Is.EqualTo(UpdateState.Idle));
        Assert.That(node.Reboot.Reboots, Is.EqualTo(1));
        Assert.That(((TestModule)h.Modules[1]).Journal, Is.EqualTo(new[] { "init", "prepare:2.0", "update", "init", "update", "apply" }));
        Assert.That(done.Components.Select(c => c.Version), Is.EqualTo(new[] { "2.0", "2.0" }));
        Assert.That(node.Disk.Record.B.State, Is.EqualTo(SlotState.Good));
    }

    [Test]
    public async Task Prepare_ImageNotMatchingItsSha256_FailsBeforeTheModule()
    {
        await using var node = new UmNode("um-sha", TestModule("fw"));
        var h = await node.Boot();
        var image = node.Image("fw", "fw");
        var info = UmNode.Component("fw", "2.0", image);
        File.WriteAllText(image, "fX");
        var status = await h.HandleAsync(UmNode.Prepare(2, info), default);
        Assert.That(status.UpdateState, Is.EqualTo(UpdateState.Failed));
        Assert.That(status.Error.Message, Does.StartWith("component 'fw': image sha256 "));
        Assert.That(((TestModule)h.Modules.Single()).Journal, Is.EqualTo(new[] { "init" }));
    }
}
