using HilRig.Capture;
using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;
using static HilRig.Simulators.Tests.SimNet.TestFrames;

namespace HilRig.Simulators.Tests.SimNet;

public class SwitchingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private static (SimNetSwitch, RecordingPort, RecordingPort, RecordingPort) ThreeHosts(TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var sw = new SimNetSwitch(new SimNetOptions { Seed = 1, Time = time });
        return (sw, sw.AddPort(new RecordingPort("a", time)), sw.AddPort(new RecordingPort("b", time)), sw.AddPort(new RecordingPort("c", time)));
    }

    [Test]
    public void Broadcast_ReachesEveryOtherPort_NotTheSender()
    {
        var (sw, a, b, c) = ThreeHosts();
        using var _ = sw;
        a.Inject(Udp(MacAddress.Broadcast, A, 1));
        Assert.That(b.WaitForSent(1, Deadline) && c.WaitForSent(1, Deadline), Is.True);
        Assert.That(a.Sent, Is.Empty);
    }

    [Test]
    public void Multicast_IsFloodedLikeBroadcast()
    {
        var (sw, a, b, c) = ThreeHosts();
        using var _ = sw;
        a.Inject(Udp(Multicast, A, 1));
        Assert.That(b.WaitForSent(1, Deadline) && c.WaitForSent(1, Deadline), Is.True);
    }

    [Test]
    public void Unicast_AfterLearning_GoesOnlyToTheLearnedPort()
    {
        var (sw, a, b, c) = ThreeHosts();
        using var _ = sw;
        b.Inject(Udp(MacAddress.Broadcast, B, 1)); // teaches the switch where B is
        Assert.That(c.WaitForSent(1, Deadline), Is.True);
        a.Inject(Udp(B, A, 2));
        Assert.That(b.WaitForSent(1, Deadline), Is.True);
        Assert.That(b.Sequences, Is.EqualTo(new[] { 2 }));
        a.Inject(Udp(MacAddress.Broadcast, A, 3)); // a marker: once C has it, frame 2 would have reached C too
        Assert.That(c.WaitForSent(2, Deadline), Is.True);
        Assert.That(c.Sequences, Is.EqualTo(new[] { 1, 3 }));
    }

    [Test]
    public void UnknownUnicast_IsFlooded()
    {
        var (sw, a, b, c) = ThreeHosts();
        using var _ = sw;
        a.Inject(Udp(C, A, 1));
        Assert.That(b.WaitForSent(1, Deadline) && c.WaitForSent(1, Deadline), Is.True);
    }

    [Test]
    public void AddPort_SameHostTwice_Rejected()
    {
        using var sw = new SimNetSwitch();
        sw.AddPort(new RecordingPort("a", TimeProvider.System));
        Assert.That(Assert.Throws<ArgumentException>(() => sw.AddPort(new RecordingPort("a", TimeProvider.System)))!.Message, Does.Contain("'a'"));
    }

    [Test]
    public void Partition_OneHostBothDirections_NothingCrosses_HealRestores()
    {
        var (sw, a, b, c) = ThreeHosts();
        using var _ = sw;
        sw.Partition(["a"]);
        sw.OnFrame(a, Udp(MacAddress.Broadcast, A, 1));
        sw.OnFrame(b, Udp(MacAddress.Broadcast, B, 2));
        Assert.That(a.Sent, Is.Empty);
        Assert.That(b.Sequences, Is.Empty);
        Assert.That(c.Sequences, Is.EqualTo(new[] { 2 }), "b and c still talk");
        Assert.That(sw.Statistics("a", "b").LostPartition, Is.EqualTo(1));
        sw.Heal(["a"]);
        sw.OnFrame(a, Udp(MacAddress.Broadcast, A, 3));
        Assert.That(b.Sequences, Is.EqualTo(new[] { 3 }));
    }

    [Test]
    public void Partition_Outbound_HostStillHears()
    {
        var (sw, a, b, _) = ThreeHosts();
        using var __ = sw;
        sw.Partition(["a"], PartitionDirection.Outbound);
        sw.OnFrame(a, Udp(MacAddress.Broadcast, A, 1));
        sw.OnFrame(b, Udp(MacAddress.Broadcast, B, 2));
        Assert.That(b.Sequences, Is.Empty);
        Assert.That(a.Sequences, Is.EqualTo(new[] { 2 }));
    }

    [Test]
    public void Partition_TwoSides_HostsOutsideUntouched()
    {
        var (sw, a, b, c) = ThreeHosts();
        using var _ = sw;
        sw.Partition(["a"], ["b"]);
        sw.OnFrame(a, Udp(MacAddress.Broadcast, A, 1));
        Assert.That(b.Sequences, Is.Empty);
        Assert.That(c.Sequences, Is.EqualTo(new[] { 1 }));
        Assert.That(sw.ControlLog.Select(e => e.Action), Is.EqualTo(new[] { "partition a | b (both)" }));
    }

    [Test]
    public void Partition_RaisedWhileFramesWaitInDelayLine_DropsThem()
    {
        var time = new ManualTimeProvider();
        var (sw, a, b, _) = ThreeHosts(time);
        using var __ = sw;
        sw.Impair("a", "b", new LinkImpairment { Delay = TimeSpan.FromMilliseconds(50) });
        sw.OnFrame(a, Udp(B, A, 1));
        sw.Partition(["a"]);
        time.Advance(TimeSpan.FromMilliseconds(60));
        Assert.That(b.Sent, Is.Empty);
    }

    [Test]
    public void UnknownHost_ErrorListsHosts()
    {
        var (sw, _, _, _) = ThreeHosts();
        using var __ = sw;
        Assert.That(Assert.Throws<ArgumentException>(() => sw.Partition(["zz"]))!.Message, Does.Contain("'zz'").And.Contain("a, b, c"));
    }

    [Test]
    public void Capture_SwitchWide_RecordsSentAndDeliveredSeparately()
    {
        var time = new ManualTimeProvider();
        var (sw, a, b, c) = ThreeHosts(time);
        var path = Path.Combine(RepoPaths.NewTempDirectory("simnet-cap"), "switch.pcapng");
        sw.StartCapture(path);
        sw.Partition(["c"]);
        sw.OnFrame(a, Udp(MacAddress.Broadcast, A, 1));
        sw.Dispose();
        var frames = CaptureFile.ReadAll(path);
        Assert.That(frames.Select(f => (f.InterfaceId, f.Direction)), Is.EqualTo(new[]
        {
            (a.Index, FrameDirection.Inbound),
            (b.Index, FrameDirection.Outbound),
        }));
        var hosts = new HostDirectory().Add("a", IpAddress.Parse("10.0.0.10")).Add("c", IpAddress.Parse("10.0.0.12"));
        Assert.That(CaptureLog.Load(path, hosts, view: DirectionView.Sent).Events.OfType<UdpEvent>().Count(), Is.EqualTo(1));
        CaptureAssert.NoneFrom(CaptureLog.Load(path, hosts, view: DirectionView.Delivered), "a", time.GetUtcNow().AddSeconds(-1), time.GetUtcNow().AddSeconds(1), new EventMatch("to c", e => hosts.Is(e.Destination, "c")));
    }

    [Test]
    public void Capture_PerPort_HoldsOnlyThatHost()
    {
        var (sw, a, b, _) = ThreeHosts();
        var path = Path.Combine(RepoPaths.NewTempDirectory("simnet-port"), "b.pcapng");
        sw.StartPortCapture("b", path);
        sw.OnFrame(a, Udp(MacAddress.Broadcast, A, 1));
        sw.OnFrame(b, Udp(MacAddress.Broadcast, B, 2));
        sw.Dispose();
        var frames = CaptureFile.ReadAll(path);
        Assert.That(frames.Select(f => (TestFrames.SequenceOf(f.Data.Span), f.Direction)),
            Is.EqualTo(new[] { (1, FrameDirection.Outbound), (2, FrameDirection.Inbound) }));
    }
}
