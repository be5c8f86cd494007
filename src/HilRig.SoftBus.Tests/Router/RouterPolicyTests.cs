using System.Net;
using HilRig.SoftBus.Router;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>The burst schedule, the rank, the blacklist ring: the pure parts of router discovery.</summary>
public class RouterPolicyTests
{
    private static RouterCandidate C(int last, int pv, int priority) => new(new IPEndPoint(IPAddress.Parse($"10.0.0.{last}"), 9955), $"g{last}", $"org.alljoyn.BusNode.r{last}", pv, priority);

    [Test]
    public void Schedule_Is3QueriesPerBurst_1100msGapsNineTimes_Then10_20_40s()
    {
        var t = RouterTimers.AllJoyn;
        var times = t.QueryTimes(13).Select(x => x.TotalMilliseconds).ToList();
        Assert.That(times[..6], Is.EqualTo(new double[] { 0, 100, 200, 1300, 1400, 1500 }));
        // burst 10 starts 9 × 1.3 s in; bursts 11, 12, 13 follow 10, 20, 40 s after the end of the one before
        Assert.That(times[27], Is.EqualTo(9 * 1300));
        Assert.That(times[30] - times[29], Is.EqualTo(10_000));
        Assert.That(times[33] - times[32], Is.EqualTo(20_000));
        Assert.That(times[36] - times[35], Is.EqualTo(40_000));
        Assert.That(t.GapAfter(20), Is.EqualTo(TimeSpan.FromSeconds(40)));
    }

    [Test]
    public void Scaled_ShortensEveryDuration_ButNotTheDefaults()
    {
        var s = RouterTimers.AllJoyn.Scaled(0.1);
        Assert.That(s.MinimumLinkTimeout, Is.EqualTo(TimeSpan.FromSeconds(4)));
        Assert.That(s.SelectionWindow, Is.EqualTo(TimeSpan.FromMilliseconds(500)));
        Assert.That(s.MaxProbes, Is.EqualTo(3));
        Assert.That(RouterTimers.AllJoyn.MinimumLinkTimeout, Is.EqualTo(TimeSpan.FromSeconds(40)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouterTimers.AllJoyn.Scaled(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => RouterTimers.AllJoyn.Scaled(2));
    }

    [Test]
    public void Rank_HighestVersionFirst_ThenLowestPriority()
    {
        var ranked = new RouterSelector(new Random(1)).Rank([C(1, 10, 5), C(2, 11, 9), C(3, 10, 1), C(4, 11, 2)], new RouterBlacklist());
        Assert.That(ranked.Select(c => c.Endpoint.Address.GetAddressBytes()[3]), Is.EqualTo(new byte[] { 4, 2, 3, 1 }));
    }

    [Test]
    public void Rank_LeavesOutTooOldAndBlacklisted()
    {
        var blacklist = new RouterBlacklist();
        blacklist.Add(C(2, 10, 0).Endpoint);
        var ranked = new RouterSelector(new Random(1)).Rank([C(1, 9, 0), C(2, 10, 0), C(3, 10, 7)], blacklist);
        Assert.That(ranked.Select(c => c.Guid), Is.EqualTo(new[] { "g3" }));
    }

    [Test]
    public void Rank_BreaksTiesWithTheSeededGenerator_SoASeedReplays()
    {
        var heard = Enumerable.Range(1, 6).Select(i => C(i, 10, 4)).ToList();
        var picks = Enumerable.Range(0, 40).Select(seed => new RouterSelector(new Random(seed)).Rank(heard, new RouterBlacklist())[0].Guid).ToList();
        Assert.That(picks.Distinct().Count(), Is.GreaterThan(1), "ties must not always go to the same router");
        Assert.That(Enumerable.Range(0, 40).Select(seed => new RouterSelector(new Random(seed)).Rank(heard, new RouterBlacklist())[0].Guid), Is.EqualTo(picks));
    }

    [Test]
    public void Blacklist_IsARingOf16_The17thOverwritesTheFirst()
    {
        var b = new RouterBlacklist();
        for (var i = 1; i <= 17; i++) b.Add(new IPEndPoint(IPAddress.Parse($"10.0.1.{i}"), 9955));
        Assert.That(b.Entries, Has.Count.EqualTo(16));
        Assert.That(b.Contains(new IPEndPoint(IPAddress.Parse("10.0.1.1"), 9955)), Is.False);
        Assert.That(b.Contains(new IPEndPoint(IPAddress.Parse("10.0.1.2"), 9955)), Is.True);
        Assert.That(b.Contains(new IPEndPoint(IPAddress.Parse("10.0.1.17"), 9955)), Is.True);
        Assert.That(b.Contains(new IPEndPoint(IPAddress.Parse("10.0.1.17"), 9956)), Is.False, "an entry is address and port");
    }
}
