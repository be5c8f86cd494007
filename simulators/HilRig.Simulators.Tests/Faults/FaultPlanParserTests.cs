using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.Faults;

public class FaultPlanParserTests
{
    private const string Full = """
        name: office-wifi-outage
        seed: 42
        steps:
          - at: 0s
            impair: { from: cloud, to: cm, both_ways: true, loss: 30%, delay: 40ms, jitter: 10ms }
          - at: 10s
            for: 5s
            partition: { hosts: [um1, um2], pick: 1, direction: outbound }
          - at: 20s
            every: 15s
            until: 80s
            jitter: 2s
            power_cut: { boards: [um1, um2], pick: 1, restore_after: 3s }
          - at: 90s
            kill: { board: cm, process: device }
          - at: 91s
            impair: { hosts: [um1], direction: inbound, burst_loss: { p: 2%, r: 20% } }
          - at: 95s
            heal: all
        """;

    [Test]
    public void Parse_FullPlan_EveryActionAndModifier()
    {
        var plan = FaultPlanParser.Parse(Full, "office.yaml");
        Assert.That(plan.Name, Is.EqualTo("office-wifi-outage"));
        Assert.That(plan.Seed, Is.EqualTo(42));
        Assert.That(plan.Steps.Select(s => s.Action.Verb), Is.EqualTo(new[] { "impair", "partition", "power_cut", "kill", "impair", "heal" }));
        var impair = (ImpairFault)plan.Steps[0].Action;
        Assert.That(impair.Impairment, Is.EqualTo(new LinkImpairment { Loss = 0.3, Delay = TimeSpan.FromMilliseconds(40), Jitter = TimeSpan.FromMilliseconds(10) }));
        Assert.That(impair.BothWays, Is.True);
        Assert.That(((PartitionFault)plan.Steps[1].Action).Direction, Is.EqualTo(PartitionDirection.Outbound));
        Assert.That(plan.Steps[1].For, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(plan.Steps[2].Every, Is.EqualTo(TimeSpan.FromSeconds(15)));
        Assert.That(((PowerCutFault)plan.Steps[2].Action).RestoreAfter, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(((KillFault)plan.Steps[3].Action).Process, Is.EqualTo("device"));
        Assert.That(((ImpairFault)plan.Steps[4].Action).Impairment.BurstLoss, Is.EqualTo(new GilbertElliott(0.02, 0.2)));
        Assert.That(plan.Steps[5].Action, Is.EqualTo(new HealFault(null)));
        Assert.That(plan.Steps[1].Location, Is.EqualTo("office.yaml:6:5"));
    }

    private static FaultPlanException Bad(string steps) =>
        Assert.Throws<FaultPlanException>(() => FaultPlanParser.Parse("name: p\nsteps:\n" + steps, "p.yaml"))!;

    [TestCase("  - at: 1s\n    impair: { from: a, to: b, loss: 130% }\n", "p.yaml:4:37", "steps[0].impair.loss: '130%' is not between 0% and 100%")]
    [TestCase("  - at: 1s\n    impair: { from: a, to: b, delay: 10ms, jitter: 20ms }\n", "p.yaml:4:13", "steps[0].impair.jitter: 20 ms exceeds delay 10 ms")]
    [TestCase("  - at: 1s\n    partition: { hosts: [a, b], pick: 3 }\n", "p.yaml:4:39", "steps[0].partition.pick: 3 is not between 1 and the 2 hosts listed")]
    [TestCase("  - at: 1s\n    partition: { hosts: [a], colour: red }\n", "p.yaml:4:30", "steps[0].partition.colour: unknown key (allowed: hosts, pick, direction)")]
    [TestCase("  - at: 1s\n    every: 5s\n    heal: all\n", "p.yaml:3:5", "steps[0].until: is required with every")]
    [TestCase("  - at: 1s\n    heal: all\n    kill: { board: a }\n", "p.yaml:3:5", "steps[0]: has 2 actions (heal, kill)")]
    [TestCase("  - at: 1s\n    for: 2s\n    kill: { board: a }\n", "p.yaml:4:10", "steps[0].for: kill cannot be undone")]
    [TestCase("  - at: soon\n    heal: all\n", "p.yaml:3:9", "steps[0].at: 'soon' is not a non-negative duration")]
    [TestCase("  - heal: all\n", "p.yaml:3:5", "steps[0].at: is required")]
    [TestCase("  - at: 1s\n    partition: { hosts: [a], direction: sideways }\n", "p.yaml:4:41", "steps[0].partition.direction: 'sideways' is not both, outbound or inbound")]
    [TestCase("  - at: 1s\n    impair: { from: a, loss: 5% }\n", "p.yaml:4:13", "steps[0].impair: from and to go together")]
    [TestCase("  - at: 5s\n    every: 1s\n    until: 2s\n    heal: all\n", "p.yaml:5:12", "steps[0].until: 2 s is before at (5 s)")]
    public void Parse_BadPlan_ErrorNamesFileLineColumnAndKey(string steps, string location, string message)
    {
        var e = Bad(steps);
        Assert.That(e.Location, Is.EqualTo(location), e.Message);
        Assert.That(e.Reason, Does.StartWith(message), e.Message);
    }

    [Test]
    public void Parse_NotYaml_ErrorWithPosition() =>
        Assert.That(Assert.Throws<FaultPlanException>(() => FaultPlanParser.Parse("name: [unclosed\n", "x.yaml"))!.Message, Does.StartWith("x.yaml:"));

    [Test]
    public void Parse_MissingName_Error() =>
        Assert.That(Assert.Throws<FaultPlanException>(() => FaultPlanParser.Parse("steps: []\n", "x.yaml"))!.Reason, Is.EqualTo("plan.name: is required"));
}
