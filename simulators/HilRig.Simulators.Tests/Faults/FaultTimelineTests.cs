using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using HilRig.Simulators.Tests.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.Faults;

public class FaultTimelineTests
{
    private const string Plan = """
        name: flaky
        steps:
          - at: 2s
            every: 10s
            until: 60s
            jitter: 3s
            for: 4s
            partition: { hosts: [um1, um2, um3], pick: 1 }
          - at: 5s
            power_cut: { boards: [um1, um2, um3], pick: 2, restore_after: 1s }
        """;

    [Test]
    public void Expand_SameSeed_SameTimeline_DifferentSeed_Different()
    {
        var plan = FaultPlanParser.Parse(Plan);
        var a = FaultTimeline.Expand(plan, 7).ToText();
        Assert.That(FaultTimeline.Expand(plan, 7).ToText(), Is.EqualTo(a));
        Assert.That(FaultTimeline.Expand(plan, 8).ToText(), Is.Not.EqualTo(a));
        Assert.That(a, Does.StartWith("fault plan 'flaky', seed 7"));
    }

    [Test]
    public void Expand_RepeatsJittersAndUndoes()
    {
        var timeline = FaultTimeline.Expand(FaultPlanParser.Parse(Plan), 1);
        var partitions = timeline.Entries.Where(e => e.Action is PartitionFault && !e.IsUndo).ToList();
        var heals = timeline.Entries.Where(e => e.Action is PartitionFault && e.IsUndo).ToList();
        Assert.That(partitions, Has.Count.EqualTo(6), "at 2, 12, …, 52 s");
        for (var i = 0; i < 6; i++)
        {
            Assert.That(partitions[i].At.TotalSeconds, Is.InRange(2 + 10 * i, 5 + 10 * i));
            Assert.That(partitions[i].Targets, Has.Count.EqualTo(1));
            Assert.That(heals[i].At - partitions[i].At, Is.EqualTo(TimeSpan.FromSeconds(4)));
            Assert.That(heals[i].Targets, Is.EqualTo(partitions[i].Targets));
        }
        Assert.That(timeline.Entries.Select(e => e.At), Is.Ordered);
        var cut = timeline.Entries.Single(e => e.Action is PowerCutFault);
        Assert.That(cut.Targets.Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public void Expand_PlanSeed_OverridesRunSeed()
    {
        var plan = FaultPlanParser.Parse(Plan.Replace("name: flaky", "name: flaky\nseed: 99"));
        Assert.That(FaultTimeline.Expand(plan, 1).ToText(), Is.EqualTo(FaultTimeline.Expand(plan, 2).ToText()));
        Assert.That(FaultTimeline.Expand(plan, 1).Seed, Is.EqualTo(99));
    }

    [Test]
    public void Validate_UnknownBoardsAndHosts_AllNamed()
    {
        var timeline = FaultTimeline.Expand(FaultPlanParser.Parse(Plan), 1);
        var e = Assert.Throws<FaultPlanException>(() => timeline.Validate(["um1", "um2"], ["um1"]))!;
        Assert.That(e.Message, Does.Contain("'um3' is not a network host").And.Contain("'um2' is not a board").And.Contain("known: um1"));
    }

    [Test]
    public void Validate_TwoBadTargets_EachReportedAtItsOwnFileLineColumn()
    {
        const string twoBad = """
            name: two-bad
            steps:
              - at: 1s
                partition: { hosts: [um1, mainframe] }
              - at: 2s
                kill: { board: toaster }
            """;
        var timeline = FaultTimeline.Expand(FaultPlanParser.Parse(twoBad, "two.yaml"), 1);
        var e = Assert.Throws<FaultPlanException>(() => timeline.Validate(["um1"], ["um1"]))!;
        Assert.That(e.Message.Split('\n'), Is.EqualTo(new[]
        {
            "two.yaml:3:5: partition: 'mainframe' is not a network host of this rig (known: um1)",
            "two.yaml:5:5: kill: 'toaster' is not a board of this rig (known: um1)",
        }));
        Assert.That(e.Errors.Select(x => (x.File, x.Line, x.Column, x.Key)), Is.EqualTo(new[] { ("two.yaml", 3, 5, "partition"), ("two.yaml", 5, 5, "kill") }));
    }

    [Test]
    public void Expand_RepeatTooOften_Rejected()
    {
        var plan = FaultPlanParser.Parse("name: x\nsteps:\n  - at: 0s\n    every: 1ms\n    until: 1h\n    heal: all\n", "x.yaml");
        Assert.That(Assert.Throws<FaultPlanException>(() => FaultTimeline.Expand(plan, 1))!.Message, Does.StartWith("x.yaml:3:5").And.Contain("more than 10000"));
    }

    private sealed class RecordingBoard(string name, List<string> log) : IFaultTarget
    {
        public string Name => name;

        public Task PowerCutAsync(TimeSpan? restoreAfter, CancellationToken ct)
        {
            lock (log) log.Add($"power_cut {name} {restoreAfter?.TotalSeconds}");
            return Task.CompletedTask;
        }

        public Task KillProcessAsync(string? process, CancellationToken ct)
        {
            lock (log) log.Add($"kill {name} {process}");
            return Task.CompletedTask;
        }
    }

    [Test]
    public async Task Runner_VirtualTime_AppliesEachFaultAtItsOffset_OnSimNet()
    {
        var time = new ManualTimeProvider();
        using var sw = new SimNetSwitch(new SimNetOptions { Time = time, Seed = 3 });
        foreach (var h in new[] { "cm", "um1", "um2" }) sw.AddPort(new RecordingPort(h, time));
        var plan = FaultPlanParser.Parse("""
            name: replayable
            steps:
              - at: 1s
                for: 2s
                partition: { hosts: [um1] }
              - at: 1.5s
                impair: { from: cm, to: um2, loss: 50% }
              - at: 4s
                kill: { board: um2, process: device }
              - at: 5s
                heal: all
            """);
        var timeline = FaultTimeline.Expand(plan, 11);
        timeline.Validate(["cm", "um1", "um2"], ["um2"]);
        var log = new List<string>();
        var runner = new FaultPlanRunner(timeline, sw, new Dictionary<string, IFaultTarget> { ["um2"] = new RecordingBoard("um2", log) }, time);
        var run = runner.RunAsync(CancellationToken.None);

        void AdvanceUntilApplied(double seconds, int count)
        {
            time.Advance(TimeSpan.FromSeconds(seconds));
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (runner.Applied.Count < count && DateTime.UtcNow < deadline) Thread.Sleep(1);
            Assert.That(runner.Applied, Has.Count.EqualTo(count));
        }

        AdvanceUntilApplied(1, 1);
        Assert.That(sw.IsBlocked("um1", "cm"), Is.True);
        AdvanceUntilApplied(0.5, 2);
        Assert.That(sw.ImpairmentOf("cm", "um2").Loss, Is.EqualTo(0.5));
        AdvanceUntilApplied(1.5, 3);
        Assert.That(sw.IsBlocked("um1", "cm"), Is.False, "undone after for: 2s");
        AdvanceUntilApplied(1, 4);
        Assert.That(log, Is.EqualTo(new[] { "kill um2 device" }));
        AdvanceUntilApplied(1, 5);
        await run;
        Assert.That(sw.ImpairmentOf("cm", "um2").IsNone, Is.True);
        Assert.That(runner.Applied.Select(a => a.ActualOffset.TotalSeconds), Is.EqualTo(new[] { 1, 1.5, 3, 4, 5 }));
        Assert.That(runner.ToReport(), Does.Contain("+1.000s partition um1 (both)").And.Contain("+3.000s heal um1").And.Contain("applied:"));
        Assert.That(sw.ControlLog.Select(c => c.Action).First(), Is.EqualTo("partition um1 (both)"));
    }
}
