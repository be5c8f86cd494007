using HilRig.Testing;
using HilRig.Update.Cloud;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public class CheckInPolicyTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly OfferThrottle _throttle = new(TimeSpan.FromHours(24));
    private PlatformVersions _versions = PlatformVersions.Empty("pi4").Upload(out _).Upload(out _).Upload(out _);
    private UnitRecord? _unit;

    private CheckInDecision CheckIn(long version, long? groupTarget = null)
    {
        var (unit, decision) = CheckInPolicy.Evaluate(_unit, "unit-1", "pi4", version, _versions, groupTarget, _throttle, _time.GetUtcNow());
        _unit = unit;
        return decision;
    }

    [Test]
    public void CheckIn_Lower_OffersNextAndMarksInProgress()
    {
        var d = CheckIn(1);
        Assert.That((d.Direction, d.ImageVersion, d.Manual), Is.EqualTo((UpdateDirection.Next, 2L, false)));
        Assert.That(_unit!.UpdateInProgress, Is.True);
        Assert.That(d.Reason, Is.EqualTo("unit on 1, cloud on 3: next version 2"));
    }

    [Test]
    public void CheckIn_WithinThePeriod_AutomaticOfferHeldBackUntilThePeriodEnds()
    {
        CheckIn(1);
        _time.Advance(TimeSpan.FromHours(23));
        var held = CheckIn(2);
        Assert.That(held.Offers, Is.False);
        Assert.That(held.Reason, Does.StartWith("next version 3 held back until 2026-01-02T00:00:00"));
        _time.Advance(TimeSpan.FromHours(1));
        Assert.That(CheckIn(2).ImageVersion, Is.EqualTo(3));
    }

    [Test]
    public void CheckIn_ManualTrigger_BypassesTheThrottleOnceWithoutResettingIt()
    {
        CheckIn(1);
        _unit = _unit! with { ManualTriggerPending = true };
        _time.Advance(TimeSpan.FromMinutes(5));
        var manual = CheckIn(2);
        Assert.That((manual.ImageVersion, manual.Manual), Is.EqualTo((3L, true)));
        Assert.That(_unit!.ManualTriggerPending, Is.False);
        Assert.That(_unit.LastAutomaticOffer, Is.EqualTo(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void CheckIn_Equal_NothingAndClearsInProgress()
    {
        CheckIn(2);
        _time.Advance(TimeSpan.FromDays(1));
        var d = CheckIn(3);
        Assert.That(d.Offers, Is.False);
        Assert.That(d.Reason, Is.EqualTo("unit is on the cloud version 3"));
        Assert.That(_unit!.UpdateInProgress, Is.False);
    }

    [Test]
    public void CheckIn_HigherAfterLatestDeleted_OffersPrevious()
    {
        _versions = _versions.Delete(3);
        var d = CheckIn(3);
        Assert.That((d.Direction, d.ImageVersion), Is.EqualTo((UpdateDirection.Previous, 2L)));
    }

    [Test]
    public void CheckIn_InAGroup_MovesTowardsTheGroupTarget()
    {
        var d = CheckIn(3, groupTarget: 1);
        Assert.That((d.Direction, d.ImageVersion), Is.EqualTo((UpdateDirection.Previous, 2L)));
    }
}
