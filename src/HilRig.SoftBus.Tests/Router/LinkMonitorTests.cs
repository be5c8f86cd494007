using HilRig.SoftBus.Router;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>The link-timeout probes in virtual time (checklist 23: ProbeReq at ≈40, 45, 50 s, dead at ≈55 s).</summary>
public class LinkMonitorTests
{
    private ManualTimeProvider _time = null!;
    private List<double> _probes = null!;
    private double? _dead;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _probes = new List<double>();
        _dead = null;
    }

    private LinkMonitor Monitor(TimeSpan requested)
    {
        var start = _time.GetUtcNow();
        return new LinkMonitor(requested, RouterTimers.AllJoyn, _time,
            () =>
            {
                _probes.Add((_time.GetUtcNow() - start).TotalSeconds);
                return Task.CompletedTask;
            },
            () => _dead = (_time.GetUtcNow() - start).TotalSeconds);
    }

    private void Run(double seconds)
    {
        for (var i = 0; i < seconds * 10; i++) _time.Advance(TimeSpan.FromMilliseconds(100));
    }

    [Test]
    public void IdleLink_ProbedAt40_45_50_DeadAt55()
    {
        using var m = Monitor(TimeSpan.FromSeconds(40));
        Run(60);
        Assert.That(_probes, Is.EqualTo(new double[] { 40, 45, 50 }));
        Assert.That(_dead, Is.EqualTo(55));
    }

    [Test]
    public void ARequestBelow40s_IsRaisedTo40s()
    {
        using var m = Monitor(TimeSpan.FromSeconds(5));
        Assert.That(m.Timeout, Is.EqualTo(TimeSpan.FromSeconds(40)));
        Run(39.9);
        Assert.That(_probes, Is.Empty);
    }

    [Test]
    public void AnythingReceived_ResetsTheTimer_AndTheUnansweredCount()
    {
        using var m = Monitor(TimeSpan.FromSeconds(40));
        Run(47); // probes at 40 and 45
        m.Received(); // the ProbeAck arrives at 47
        Run(60);
        Assert.That(_probes, Is.EqualTo(new double[] { 40, 45, 87, 92, 97 }));
        Assert.That(_dead, Is.EqualTo(102));
    }

    [Test]
    public void Disposed_NeverFires()
    {
        var m = Monitor(TimeSpan.FromSeconds(40));
        m.Dispose();
        Run(60);
        Assert.That(_probes, Is.Empty);
        Assert.That(_dead, Is.Null);
    }
}
