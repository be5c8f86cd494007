using HilRig.Testing;
using HilRig.Update.Cm;
using HilRig.Update.Protocol;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>The orchestrator over fake UMs, in virtual time: what a step timeout does to an update and its revert.</summary>
public class UpdateOrchestratorTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(30);

    private sealed class Unit : IDisposable
    {
        public ManualTimeProvider Time { get; } = new();
        public UmRegistry Registry { get; }
        public CmStateStore Store { get; }
        public UpdateOrchestrator Orchestrator { get; }
        public Dictionary<string, FakeUm> Ums { get; } = new();
        public UpdatePlan Plan { get; } = new(7, new Dictionary<string, IReadOnlyList<PrepareComponentInfo>>
        {
            ["main"] = [new PrepareComponentInfo { ComponentId = "main-app", Version = "2.0" }],
            ["node-2"] = [new PrepareComponentInfo { ComponentId = "node-2-app", Version = "2.0" }],
        });

        public Unit(string name)
        {
            Registry = new UmRegistry(Time);
            Store = new CmStateStore(Path.Combine(RepoPaths.NewTempDirectory(name), "cm.db"));
            Orchestrator = new UpdateOrchestrator(Registry, Store, StepTimeout);
            foreach (var node in Plan.Nodes.Keys) Ums[node] = FakeUm.Attach(Registry, node);
        }

        /// <summary>Runs the persisted update, moving virtual time on a second at a time while it waits.</summary>
        public async Task<UpdateOutcome> RunAsync()
        {
            var run = Orchestrator.RunAsync(CancellationToken.None);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!run.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(2);
                Time.Advance(TimeSpan.FromSeconds(1));
            }
            return await run.WaitAsync(TimeSpan.FromSeconds(1));
        }

        public void Dispose() => Store.Dispose();
    }

    [Test]
    public async Task RevertThatTimesOut_StaysPendingWithItsReason_AndFinishesWithItOnTheNextRun()
    {
        using var unit = new Unit("orch-revert-timeout");
        unit.Ums["node-2"].FailAt = "prepare";
        unit.Ums["node-2"].AnswersRevert = false;
        unit.Store.Begin(unit.Plan);

        var pending = Assert.ThrowsAsync<RevertPendingException>(unit.RunAsync)!;
        Assert.That(pending.Message, Does.Contain("every UM IDLE after RevertUpdate"));
        Assert.That(unit.Store.InProgress?.Phase, Is.EqualTo(UpdatePhase.Reverting), "the revert resumes later");

        unit.Ums["node-2"].AnswersRevert = true;
        var outcome = await unit.RunAsync();

        Assert.That(outcome, Is.EqualTo(new UpdateOutcome(7, false, "um-failed", "UM 'node-2' FAILED: fails at prepare")),
            "the reason the revert started with, not the timeout on its way");
        Assert.That(unit.Store.InProgress, Is.Null);
    }

    [TestCase(UpdateState.Prepared)]
    [TestCase(UpdateState.Updated)]
    [TestCase(UpdateState.Failed)]
    public async Task UmLeftInAnUpdateOfAnotherImage_IsRevertedBeforeTheNewImageIsPrepared(UpdateState left)
    {
        using var unit = new Unit("orch-stray-" + left);
        unit.Ums["node-2"].LeftIn(left, 5);
        unit.Store.Begin(unit.Plan);

        var outcome = await unit.RunAsync();

        Assert.That(outcome, Is.EqualTo(UpdateOutcome.Installed(7)), "neither failed by the old image's FAILED nor applied with it");
        Assert.That(unit.Ums["node-2"].Received, Is.EqualTo(new[] { "RevertUpdate", "PrepareUpdate", "StartUpdate", "ApplyUpdate" }));
        Assert.That(unit.Ums["main"].Received, Is.EqualTo(new[] { "PrepareUpdate", "StartUpdate", "ApplyUpdate" }), "a UM with nothing left over is not reverted");
    }

    [Test]
    public async Task UmPreparedForThePlansImage_AfterARestart_IsContinuedNotReverted()
    {
        using var unit = new Unit("orch-resume-prepared");
        unit.Ums["node-2"].LeftIn(UpdateState.Prepared, 7);
        unit.Store.Begin(unit.Plan);

        Assert.That(await unit.RunAsync(), Is.EqualTo(UpdateOutcome.Installed(7)));
        Assert.That(unit.Ums["node-2"].Received, Is.EqualTo(new[] { "StartUpdate", "ApplyUpdate" }));
    }

    [Test]
    public async Task StrayUmThatDoesNotRevert_EndsTheNewUpdateAsUmTimeout_BeforeAnyPrepare()
    {
        using var unit = new Unit("orch-stray-stuck");
        unit.Ums["node-2"].LeftIn(UpdateState.Failed, 5);
        unit.Ums["node-2"].AnswersRevert = false;
        unit.Store.Begin(unit.Plan);

        Assert.ThrowsAsync<RevertPendingException>(unit.RunAsync, "its revert is still pending too");
        Assert.That(unit.Ums["main"].Received, Does.Not.Contain("PrepareUpdate"), "nothing of image 7 was sent");
        unit.Ums["node-2"].AnswersRevert = true;
        var outcome = await unit.RunAsync();
        Assert.That((outcome.ImageVersion, outcome.Success, outcome.Reason), Is.EqualTo((7L, false, UpdateOutcome.UmTimeout)));
        Assert.That(outcome.Detail, Does.Contain("to revert an update of another image before image 7"));
    }

    [Test]
    public async Task RevertTimingOutOnEveryRun_KeepsTheReasonAndDetailItStartedWith()
    {
        using var unit = new Unit("orch-um-gone");
        unit.Ums["node-2"].AnswersRevert = false;
        unit.Ums["node-2"].FailAt = "update";
        unit.Store.Begin(unit.Plan);

        Assert.ThrowsAsync<RevertPendingException>(unit.RunAsync);
        Assert.ThrowsAsync<RevertPendingException>(unit.RunAsync, "a second try that times out too");
        unit.Ums["node-2"].AnswersRevert = true;
        var outcome = await unit.RunAsync();

        Assert.That((outcome.Reason, outcome.Detail), Is.EqualTo(("um-failed", "UM 'node-2' FAILED: fails at update")));
    }

    [Test]
    public void RevertReason_PersistedAsReasonAndDetail_KeptAcrossARestartAndALaterRevert()
    {
        var path = Path.Combine(RepoPaths.NewTempDirectory("orch-reason"), "cm.db");
        using (var unit = new Unit("orch-reason-plan"))
        using (var store = new CmStateStore(path))
        {
            store.Begin(unit.Plan);
            store.BeginRevert("um-failed", "UM 'node-2' FAILED: module 'fw': boom: resumed revert");
        }
        using var restarted = new CmStateStore(path);
        Assert.That(restarted.InProgress!.Value.Revert, Is.EqualTo(("um-failed", "UM 'node-2' FAILED: module 'fw': boom: resumed revert")));
        Assert.That(restarted.BeginRevert("um-timeout", "timed out"), Is.EqualTo(("um-failed", "UM 'node-2' FAILED: module 'fw': boom: resumed revert")));
        Assert.That(restarted.InProgress!.Value.Revert, Is.EqualTo(("um-failed", "UM 'node-2' FAILED: module 'fw': boom: resumed revert")));
    }
}
