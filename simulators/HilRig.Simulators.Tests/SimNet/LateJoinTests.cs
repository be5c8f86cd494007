using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// A fault plan starts with the scenario, before every host has booted: host-level impairments and partitions apply to
/// the links of hosts that join later, and a heal releases them.
/// </summary>
public class LateJoinTests
{
    private readonly ManualTimeProvider _time = new();

    [Test]
    public void ImpairHost_ThenAHostJoins_ItsLinksToThatHostAreImpaired()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        sw.AddPort(new RecordingPort("main", _time));
        sw.ImpairHost("main", new LinkImpairment { Loss = 0.3 }, PartitionDirection.Outbound);
        sw.AddPort(new RecordingPort("cloud", _time));
        Assert.That(sw.ImpairmentOf("main", "cloud").Loss, Is.EqualTo(0.3));
        Assert.That(sw.ImpairmentOf("cloud", "main").IsNone, Is.True, "outbound only");
        sw.ImpairHost("main", LinkImpairment.None);
        sw.AddPort(new RecordingPort("node", _time));
        Assert.That(sw.ImpairmentOf("main", "node").IsNone, Is.True, "cleared before node joined");
    }

    [Test]
    public void ImpairAll_ThenAHostJoins_AllItsLinksImpaired()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time, DefaultImpairment = new LinkImpairment { Delay = TimeSpan.FromMilliseconds(1) } });
        sw.AddPort(new RecordingPort("a", _time));
        sw.AddPort(new RecordingPort("b", _time));
        Assert.That(sw.ImpairmentOf("a", "b").Delay, Is.EqualTo(TimeSpan.FromMilliseconds(1)), "the rig's default profile");
        sw.ImpairAll(new LinkImpairment { Duplicate = 0.5 });
        sw.AddPort(new RecordingPort("c", _time));
        Assert.That((sw.ImpairmentOf("c", "a").Duplicate, sw.ImpairmentOf("b", "c").Duplicate), Is.EqualTo((0.5, 0.5)));
    }

    [Test]
    public void HostProfiles_StartEveryLinkOfTheHost_SendersWins_BelowTheControlApi()
    {
        var lossy = new LinkImpairment { Loss = 0.3 };
        var slow = new LinkImpairment { Delay = TimeSpan.FromMilliseconds(40) };
        var wan = new LinkImpairment { Delay = TimeSpan.FromMilliseconds(5) };
        using var sw = new SimNetSwitch(new SimNetOptions
        {
            Time = _time,
            DefaultImpairment = wan,
            HostImpairments = new Dictionary<string, LinkImpairment> { ["node-2"] = lossy, ["node-3"] = slow },
        });
        sw.AddPort(new RecordingPort("main", _time));
        sw.AddPort(new RecordingPort("node-2", _time));
        sw.AddPort(new RecordingPort("node-3", _time));
        Assert.That((sw.ImpairmentOf("main", "node-2"), sw.ImpairmentOf("node-2", "main")), Is.EqualTo((lossy, lossy)), "both directions of node-2's links");
        Assert.That((sw.ImpairmentOf("node-2", "node-3"), sw.ImpairmentOf("node-3", "node-2")), Is.EqualTo((lossy, slow)), "the sender's profile wins");

        // A fault plan's host-level impairment of main, then a host with a profile joins: the plan's setting holds on its links.
        var plan = new LinkImpairment { Duplicate = 0.05 };
        sw.ImpairHost("main", plan);
        var logged = sw.ControlLog.Count;
        sw.AddPort(new RecordingPort("node-4", _time));
        Assert.That((sw.ImpairmentOf("main", "node-4"), sw.ImpairmentOf("node-4", "main")), Is.EqualTo((plan, plan)));
        Assert.That(sw.ControlLog, Has.Count.EqualTo(logged), "a host joining is no control action");
    }

    [Test]
    public void Partition_ThenAHostJoins_CutOffFromIt_UntilHealed()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        sw.AddPort(new RecordingPort("main", _time));
        sw.AddPort(new RecordingPort("node-2", _time));
        sw.Partition(["main"]);
        sw.AddPort(new RecordingPort("cloud", _time));
        Assert.That((sw.IsBlocked("main", "cloud"), sw.IsBlocked("cloud", "main"), sw.IsBlocked("node-2", "cloud")), Is.EqualTo((true, true, false)));
        sw.Heal(["main"]);
        sw.AddPort(new RecordingPort("node-3", _time));
        Assert.That((sw.IsBlocked("main", "cloud"), sw.IsBlocked("main", "node-3")), Is.EqualTo((false, false)));
    }

    [Test]
    public void Heal_OneOfTwoPartitionedHosts_TheOtherStaysCutOff()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        sw.AddPort(new RecordingPort("a", _time));
        sw.AddPort(new RecordingPort("b", _time));
        sw.AddPort(new RecordingPort("c", _time));
        sw.Partition(["a"]);
        sw.Partition(["b"]);
        sw.Heal(["a"]);
        Assert.That((sw.IsBlocked("b", "a"), sw.IsBlocked("a", "b"), sw.IsBlocked("b", "c"), sw.IsBlocked("a", "c")), Is.EqualTo((true, true, true, false)),
            "b's own partition still covers its links to a");
        sw.AddPort(new RecordingPort("d", _time));
        Assert.That((sw.IsBlocked("b", "d"), sw.IsBlocked("a", "d")), Is.EqualTo((true, false)), "a late joiner sees the same rule");
        sw.Heal(["b"]);
        Assert.That(sw.AllStatistics().Select(s => sw.IsBlocked(s.From, s.To)), Is.All.False);
    }

    [Test]
    public void Heal_OneSideOfATwoSidedPartition_OtherPartitionsStay()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        sw.AddPort(new RecordingPort("a", _time));
        sw.AddPort(new RecordingPort("b", _time));
        sw.AddPort(new RecordingPort("c", _time));
        sw.Partition(["a"], ["b"], PartitionDirection.Outbound);
        sw.Partition(["c"], PartitionDirection.Inbound);
        Assert.That((sw.IsBlocked("a", "b"), sw.IsBlocked("b", "a"), sw.IsBlocked("a", "c"), sw.IsBlocked("c", "a")), Is.EqualTo((true, false, true, false)));
        sw.Heal(["a"]);
        Assert.That((sw.IsBlocked("a", "b"), sw.IsBlocked("a", "c"), sw.IsBlocked("b", "c")), Is.EqualTo((false, true, true)), "c is still cut off inbound");
        sw.HealAll();
        Assert.That(sw.AllStatistics().Select(s => sw.IsBlocked(s.From, s.To)), Is.All.False);
    }

    [Test]
    public void TwoSidedPartition_ThenAHostJoins_ItIsOnNeitherSide()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        sw.AddPort(new RecordingPort("main", _time));
        sw.AddPort(new RecordingPort("node-2", _time));
        sw.Partition(["main"], ["node-2"]);
        sw.AddPort(new RecordingPort("cloud", _time));
        Assert.That((sw.IsBlocked("main", "node-2"), sw.IsBlocked("node-2", "main")), Is.EqualTo((true, true)));
        Assert.That((sw.IsBlocked("main", "cloud"), sw.IsBlocked("cloud", "node-2")), Is.EqualTo((false, false)),
            "a two-sided partition names both sides; a host joining later is on neither");
        Assert.Throws<ArgumentException>(() => sw.Partition(["main"], ["node-9"]), "a side names a host SimNet does not have");
        sw.Heal(["node-2"]);
        Assert.That(sw.IsBlocked("main", "node-2"), Is.False);
    }

    [Test]
    public void ControlLog_NamesPartitionedAndHealedHosts()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        sw.AddPort(new RecordingPort("a", _time));
        sw.AddPort(new RecordingPort("b", _time));
        sw.Partition(["a"], PartitionDirection.Outbound);
        _time.Advance(TimeSpan.FromSeconds(2));
        sw.Heal(["a"]);
        sw.HealAll();
        var log = sw.ControlLog;
        Assert.That((log[0].Partitioned, log[0].Direction), Is.EqualTo((new[] { "a" }, PartitionDirection.Outbound)));
        Assert.That((log[1].Healed, log[1].Time - log[0].Time), Is.EqualTo((new[] { "a" }, TimeSpan.FromSeconds(2))));
        Assert.That(log[2].HealedAll, Is.True);
    }

    [Test]
    public void Statistics_CountDeliveredBytes()
    {
        using var sw = new SimNetSwitch(new SimNetOptions { Time = _time });
        var a = sw.AddPort(new RecordingPort("a", _time));
        var b = sw.AddPort(new RecordingPort("b", _time));
        sw.OnFrame(b, TestFrames.Udp(Capture.Decoding.MacAddress.Broadcast, TestFrames.B, -1));
        for (var i = 0; i < 5; i++) sw.OnFrame(a, TestFrames.Udp(TestFrames.B, TestFrames.A, i, 100));
        var stats = sw.Statistics("a", "b");
        Assert.That((stats.Forwarded, stats.ForwardedBytes), Is.EqualTo((5L, 5L * (14 + 20 + 8 + 100))));
    }
}
