using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Assertions;

/// <summary>SomeAfter and FollowsWithin over a real capture of a CM resuming a download from the cloud.</summary>
public class CaptureAssertTimingTests
{
    private static readonly HostDirectory Hosts = new HostDirectory()
        .Add("main", IpAddress.Parse("10.77.0.3"))
        .Add("cloud", IpAddress.Parse("10.77.0.1"));

    private static CaptureLog Log() => CaptureLog.Load(RepoPaths.Fixtures("captures", "http1-cloud.pcapng"), Hosts);

    private static readonly EventMatch Range = new("HTTP Range request", e => e is HttpEvent { Message.RangeStart: not null });
    private static readonly EventMatch Request = new("HTTP request", e => e is HttpEvent { Message.IsRequest: true });
    private static readonly EventMatch Response = new("HTTP response", e => e is HttpEvent { Message.IsRequest: false });

    [Test]
    public void SomeAfter_FindsTheResumedRequest()
    {
        var log = Log();
        var first = log.Events.First();
        Assert.That(CaptureAssert.SomeAfter(log, Range, first.Time).Frame, Is.EqualTo(60));
    }

    [Test]
    public void SomeAfter_NothingLater_FailsNamingTheLastOneAndQuotingTheCapture()
    {
        var log = Log();
        var after = log.Events[^1].Time.AddSeconds(1);
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.SomeAfter(log, Range, after))!;
        Assert.That(e.Reason, Does.StartWith($"no HTTP Range request at or after {after:HH:mm:ss.fff} (the last one was frame 60 at"));
        Assert.That(e.Excerpt, Does.Contain("▶ #60"));
    }

    [Test]
    public void FollowsWithin_ResponseAfterRequest_PassesWithTheGap_FailsWhenTooTight()
    {
        var log = Log();
        var gap = CaptureAssert.FollowsWithin(log, Request, Response, TimeSpan.FromSeconds(1));
        Assert.That(gap, Is.GreaterThan(TimeSpan.Zero).And.LessThan(TimeSpan.FromSeconds(1)));
        var e = Assert.Throws<CaptureAssertionException>(() => CaptureAssert.FollowsWithin(log, Request, Response, TimeSpan.FromTicks(1)))!;
        Assert.That(e.Reason, Does.StartWith("HTTP response (frame 6) came").And.EndWith("after HTTP request (frame 4), more than 0 s"));
    }
}
