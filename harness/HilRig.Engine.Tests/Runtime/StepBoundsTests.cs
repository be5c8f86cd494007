using HilRig.Engine.Runtime;
using HilRig.Testing;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Runtime;

/// <summary>
/// The step timeout holds for synchronous step code, a timed-out step has stopped before the scenario's teardown starts,
/// and after-step hooks run after failed steps too (each found by reading the runner; these tests failed before the fix).
/// </summary>
[NonParallelizable]
public class StepBoundsTests
{
    private static readonly List<string> Log = new();

    [SetUp]
    public void Clear()
    {
        lock (Log) Log.Clear();
    }

    private static void Add(string line)
    {
        lock (Log) Log.Add(line);
    }

    private static List<string> Lines()
    {
        lock (Log) return Log.ToList();
    }

    /// <summary>Stands for a board: released (powered off) when the scenario's context is disposed.</summary>
    public sealed class FakeBoard : IDisposable
    {
        public void Dispose() => Add("teardown");
    }

    [Binding]
    public sealed class SlowSteps(FakeBoard board)
    {
        [When("a step blocks its thread for {int} ms")]
        public void Blocks(int ms)
        {
            _ = board;
            Thread.Sleep(ms);
            Add("blocking step returned");
        }

        [When("a step powers the board on after {int} ms, ignoring its token")]
        public async Task PowersOnLate(int ms)
        {
            _ = board;
            await Task.Delay(ms, CancellationToken.None);
            Add("powered on");
        }

        [When("a step fails")]
        public void Fails() => throw new InvalidOperationException("the device said no");

        [AfterStep]
        public void AfterStep() => Add("after step");
    }

    [Test]
    public async Task StepTimeout_SynchronousBlockingStep_TimesOut()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When a step blocks its thread for 3000 ms\n", [typeof(SlowSteps)],
            stepTimeout: TimeSpan.FromMilliseconds(300))).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Failed), "a step that blocks past the step timeout fails, even when it blocks synchronously");
        Assert.That(r.FailureMessage, Does.Contain("step timeout"));
    }

    [Test]
    public async Task StepTimeout_TimedOutStepHasStoppedBeforeTeardownStarts()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When a step powers the board on after 1500 ms, ignoring its token\n",
            [typeof(SlowSteps)], stepTimeout: TimeSpan.FromMilliseconds(200))).Single();
        Assert.That(r.FailureMessage, Does.Contain("step timeout"));
        await Eventually.TrueAsync(() => Lines().Contains("powered on"), TimeSpan.FromSeconds(10), "the slow step ends at some point");
        var log = Lines();
        Assert.That(log.IndexOf("powered on"), Is.LessThan(log.IndexOf("teardown")),
            $"teardown started while the timed-out step could still power the board on: {string.Join(" → ", log)}");
    }

    [Test]
    public async Task AfterStepHooks_RunAfterAFailedStepToo()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When a step fails\n", [typeof(SlowSteps)])).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Failed));
        Assert.That(Lines(), Does.Contain("after step"), "after-step hooks run after failed steps, as in Reqnroll");
        Assert.That(r.FailureMessage, Does.Contain("the device said no"), "the step's own failure stays the reason");
    }
}
