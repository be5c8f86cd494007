using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using HilRig.Simulators.Tests.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.Faults;

/// <summary>
/// Undoing a fault puts links back on the rig's profile (default_profile, a board's network.profile), not on a clean
/// link: a rig that says "this site is lossy" stays lossy after "impair … for:" ends or after "heal all".
/// </summary>
public class UndoRestoresProfileTests
{
    private static readonly LinkImpairment SiteDefault = new() { Loss = 0.05 };
    private static readonly LinkImpairment SlowBoard = new() { Delay = TimeSpan.FromMilliseconds(40) };

    private static async Task<SimNetSwitch> PlayAsync(string plan, ManualTimeProvider time, TimeSpan until)
    {
        var sw = new SimNetSwitch(new SimNetOptions
        {
            Time = time,
            Seed = 7,
            DefaultImpairment = SiteDefault,
            HostImpairments = new Dictionary<string, LinkImpairment> { ["slow"] = SlowBoard },
        });
        sw.AddPort(new RecordingPort("a", time));
        sw.AddPort(new RecordingPort("b", time));
        sw.AddPort(new RecordingPort("slow", time));
        var runner = new FaultPlanRunner(FaultTimeline.Expand(FaultPlanParser.Parse(plan), 1), sw, new Dictionary<string, IFaultTarget>(), time);
        var run = runner.RunAsync(CancellationToken.None);
        for (var t = TimeSpan.Zero; t < until; t += TimeSpan.FromMilliseconds(100))
        {
            var due = runner.Timeline.Entries.Count(e => e.At <= t);
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (runner.Applied.Count < due && DateTime.UtcNow < deadline) Thread.Sleep(1);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }
        await run;
        Assert.That(runner.Applied.Select(a => a.Error), Has.All.Null);
        return sw;
    }

    private static void AssertOnProfile(SimNetSwitch sw)
    {
        Assert.That(sw.ImpairmentOf("a", "b"), Is.EqualTo(SiteDefault));
        Assert.That(sw.ImpairmentOf("b", "a"), Is.EqualTo(SiteDefault));
        Assert.That(sw.ImpairmentOf("a", "slow"), Is.EqualTo(SlowBoard));
        Assert.That(sw.ImpairmentOf("slow", "b"), Is.EqualTo(SlowBoard));
    }

    [Test]
    public async Task ImpairLinkFor_EndsOnTheProfile()
    {
        using var sw = await PlayAsync("""
            name: undo
            steps:
              - {at: 0s, for: 1s, impair: {from: a, to: slow, both_ways: true, loss: 50%}}
            """, new ManualTimeProvider(), TimeSpan.FromSeconds(2));
        AssertOnProfile(sw);
    }

    [Test]
    public async Task ImpairHostsFor_EndsOnTheProfile()
    {
        using var sw = await PlayAsync("""
            name: undo
            steps:
              - {at: 0s, for: 1s, impair: {hosts: [a, slow], loss: 50%}}
            """, new ManualTimeProvider(), TimeSpan.FromSeconds(2));
        AssertOnProfile(sw);
    }

    [Test]
    public async Task ImpairAllFor_EndsOnTheProfile_AndAHostJoiningLaterStartsOnIt()
    {
        var time = new ManualTimeProvider();
        using var sw = await PlayAsync("""
            name: undo
            steps:
              - {at: 0s, for: 1s, impair: {all: true, loss: 50%}}
            """, time, TimeSpan.FromSeconds(2));
        AssertOnProfile(sw);
        sw.AddPort(new RecordingPort("late", time));
        Assert.That(sw.ImpairmentOf("late", "a"), Is.EqualTo(SiteDefault));
    }

    [Test]
    public async Task HealAll_PutsEveryLinkBackOnTheProfile()
    {
        using var sw = await PlayAsync("""
            name: undo
            steps:
              - {at: 0s, impair: {from: a, to: b, loss: 50%}}
              - {at: 0s, impair: {hosts: [slow], delay: 1s}}
              - {at: 0s, partition: {hosts: [b]}}
              - {at: 1s, heal: all}
            """, new ManualTimeProvider(), TimeSpan.FromSeconds(2));
        AssertOnProfile(sw);
        Assert.That(sw.IsBlocked("a", "b"), Is.False);
    }
}
