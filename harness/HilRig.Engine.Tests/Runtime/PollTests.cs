using HilRig.Engine.Runtime;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Runtime;

public class PollTests
{
    [Test]
    public async Task UntilAsync_ConditionBecomesTrue_ReturnsTrue_InVirtualTime()
    {
        var time = new ManualTimeProvider();
        var checks = 0;
        var poll = Poll.UntilAsync(() => ++checks >= 3, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), CancellationToken.None, time);
        while (!poll.IsCompleted) time.Advance(TimeSpan.FromSeconds(1));
        Assert.That((await poll, checks), Is.EqualTo((true, 3)));
    }

    [Test]
    public async Task UntilAsync_NeverTrue_ReturnsFalseAtTheDeadline()
    {
        var time = new ManualTimeProvider();
        var checks = 0;
        var poll = Poll.UntilAsync(() => { checks++; return false; }, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), CancellationToken.None, time);
        while (!poll.IsCompleted) time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(await poll, Is.False);
        Assert.That(checks, Is.EqualTo(6), "checked at 0..5 s, then gave up");
    }
}
