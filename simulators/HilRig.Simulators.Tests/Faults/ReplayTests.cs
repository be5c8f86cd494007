using HilRig.Capture.Decoding;
using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using HilRig.Simulators.Tests.SimNet;
using HilRig.Testing;
using NUnit.Framework;
using static HilRig.Simulators.Tests.SimNet.TestFrames;

namespace HilRig.Simulators.Tests.Faults;

/// <summary>
/// The replay guarantee, end to end below the harness: a plan played on SimNet with the same seed expands to the same
/// timeline, applies it at the same offsets, and SimNet then makes the same decision for every frame (which are lost,
/// duplicated, reordered). A failing scenario's replay line relies on exactly this.
/// </summary>
public class ReplayTests
{
    private const string Plan = """
        name: customer-site
        steps:
          - at: 0s
            impair: { hosts: [um1, um2], pick: 1, loss: 20%, duplicate: 10%, reorder: 10%, delay: 5ms, jitter: 2ms }
          - at: 1s
            jitter: 500ms
            for: 1s
            partition: { hosts: [um1, um2], pick: 1 }
          - at: 3s
            heal: all
        """;

    /// <summary>One replay: the plan on a fresh switch in virtual time, 300 frames each way while it plays.</summary>
    private static async Task<(string Timeline, string Applied, List<int> AtUm1, List<int> AtUm2, string Stats, long[] Totals)> PlayAsync(ulong seed)
    {
        var time = new ManualTimeProvider();
        using var sw = new SimNetSwitch(new SimNetOptions { Time = time, Seed = seed });
        var cm = sw.AddPort(new RecordingPort("cm", time));
        var um1 = sw.AddPort(new RecordingPort("um1", time));
        var um2 = sw.AddPort(new RecordingPort("um2", time));
        sw.OnFrame(um1, Udp(MacAddress.Broadcast, B, -1));
        sw.OnFrame(um2, Udp(MacAddress.Broadcast, C, -1));
        var timeline = FaultTimeline.Expand(FaultPlanParser.Parse(Plan), seed);
        var runner = new FaultPlanRunner(timeline, sw, new Dictionary<string, IFaultTarget>(), time);
        var run = runner.RunAsync(CancellationToken.None);
        var sequence = 0;
        for (var ms = 0; ms < 3500; ms += 10)
        {
            // Faults due by now are applied before the frames of this instant, as on a real clock.
            var due = timeline.Entries.Count(e => e.At <= TimeSpan.FromMilliseconds(ms));
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (runner.Applied.Count < due && DateTime.UtcNow < deadline) Thread.Sleep(1);
            sw.OnFrame(cm, Udp(B, A, sequence++));
            sw.OnFrame(cm, Udp(C, A, sequence++));
            time.Advance(TimeSpan.FromMilliseconds(10));
        }
        time.Advance(TimeSpan.FromSeconds(1));
        await run;
        var all = sw.AllStatistics();
        var stats = string.Join("; ", all.Select(s => $"{s.From}->{s.To} {s.Forwarded}/{s.LostRandom}/{s.LostPartition}/{s.Duplicated}/{s.Reordered}"));
        long[] totals = [all.Sum(s => s.LostRandom), all.Sum(s => s.LostPartition), all.Sum(s => s.Duplicated), all.Sum(s => s.Reordered)];
        return (timeline.ToText(), string.Join("\n", runner.Applied.Select(a => a.Fault.Describe() + " " + a.ActualOffset.TotalMilliseconds)),
            um1.Sequences.Where(s => s >= 0).ToList(), um2.Sequences.Where(s => s >= 0).ToList(), stats, totals);
    }

    [Test]
    public async Task SameSeed_SameTimeline_SameImpairmentDecisions()
    {
        var first = await PlayAsync(20261122);
        var replay = await PlayAsync(20261122);
        Assert.That(replay.Timeline, Is.EqualTo(first.Timeline));
        Assert.That(replay.Applied, Is.EqualTo(first.Applied));
        Assert.That(replay.AtUm1, Is.EqualTo(first.AtUm1), "every frame to um1 lost, duplicated or reordered the same way");
        Assert.That(replay.AtUm2, Is.EqualTo(first.AtUm2));
        Assert.That(replay.Stats, Is.EqualTo(first.Stats));
        Assert.That(first.Totals, Has.All.GreaterThan(0), $"the plan really lost, partitioned, duplicated and reordered frames: {first.Stats}");
    }

    [Test]
    public async Task OtherSeed_OtherDecisions()
    {
        var a = await PlayAsync(1);
        var b = await PlayAsync(2);
        Assert.That((b.AtUm1, b.AtUm2), Is.Not.EqualTo((a.AtUm1, a.AtUm2)));
    }
}
