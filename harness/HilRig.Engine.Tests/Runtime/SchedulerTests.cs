using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using HilRig.Testing;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Runtime;

/// <summary>
/// Scenarios side by side, in the order reports need; retries and flaky scenarios; --fail-fast; an interrupted run;
/// listeners and workers that fail; what counts as a test defect; resources only one scenario may hold.
/// No timing is asserted: parallelism is shown by scenarios that meet each other while they run.
/// </summary>
[NonParallelizable]
public class SchedulerTests
{
    private static readonly List<string> Log = new();
    private static readonly Dictionary<string, int> Calls = new();
    private static readonly Dictionary<int, Barrier> Barriers = new();
    private static int _running;
    private static int _maxRunning;
    private static int _finished;
    private static int _onBoard;
    private static int _maxOnBoard;

    [SetUp]
    public void Clear()
    {
        lock (Log)
        {
            Log.Clear();
            Calls.Clear();
            foreach (var barrier in Barriers.Values) barrier.Dispose();
            Barriers.Clear();
            _running = _maxRunning = _finished = _onBoard = _maxOnBoard = 0;
        }
    }

    private static void Add(string line)
    {
        lock (Log) Log.Add(line);
    }

    private static List<string> Lines()
    {
        lock (Log) return Log.ToList();
    }

    /// <summary>Waits for a condition other scenarios make true, with a deadline (a scenario that never meets the others fails, it does not hang).</summary>
    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException(what);
            await Task.Delay(10);
        }
    }

    [Binding]
    public sealed class MeetingSteps(ScenarioRun info)
    {
        /// <summary>Waits at a barrier of others+1: it passes only when that many scenarios are in this step at once.</summary>
        [When("it meets {int} other scenario(s) running")]
        public void Meets(int others)
        {
            Barrier barrier;
            lock (Log)
            {
                if (!Barriers.TryGetValue(others + 1, out barrier!)) Barriers[others + 1] = barrier = new Barrier(others + 1);
            }
            Enter();
            try
            {
                if (!barrier.SignalAndWait(TimeSpan.FromSeconds(20))) throw new TimeoutException($"{info.Name} never ran beside {others} other(s)");
            }
            finally
            {
                Interlocked.Decrement(ref _running);
                Interlocked.Increment(ref _finished);
            }
        }

        private static void Enter()
        {
            var now = Interlocked.Increment(ref _running);
            lock (Log) _maxRunning = Math.Max(_maxRunning, now);
        }

        [When("it finishes after {int} other scenarios")]
        public async Task After(int others)
        {
            Enter();
            try
            {
                await Until(() => Volatile.Read(ref _finished) >= others, $"{others} scenarios did not finish while {info.Name} waited");
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        [When("it logs {string}")]
        public void Logs(string text) => Add(text);

        [BeforeFeature]
        public static void BeforeFeature() => Add("before feature");

        [AfterFeature]
        public static void AfterFeature() => Add("after feature");
    }

    [Binding]
    public sealed class FlakySteps(ScenarioRun info)
    {
        [When("it fails the first {int} time(s)")]
        public void FailsFirst(int times)
        {
            int call;
            lock (Log) call = Calls[info.Name] = Calls.GetValueOrDefault(info.Name) + 1;
            Add($"{info.Name} attempt {info.Attempt} seed {info.Seed} slug {info.Slug}");
            if (call <= times) throw new InvalidOperationException($"the device dropped the link (call {call})");
        }

        [When("it waits to be interrupted")]
        public async Task WaitsForInterrupt(CancellationToken token)
        {
            Add("waiting");
            await Task.Delay(Timeout.Infinite, token);
        }

        [When("it passes")]
        public void Passes() => Add($"{info.Name} passed");

        [AfterScenario]
        public void Teardown() => Add($"teardown {info.Name}");
    }

    [Binding]
    public sealed class StuckTeardown
    {
        [When("its teardown gets stuck")]
        public void Marks() => Add("stuck scenario ran");

        [AfterScenario("@stuck")]
        public void Stuck() => Thread.Sleep(TimeSpan.FromSeconds(5));
    }

    public sealed class WontBuild
    {
        public WontBuild() => throw new RigFaultException("the relay board did not answer");
    }

    [Binding]
    public sealed class NeedsRelay(WontBuild relay)
    {
        [When("a context cannot be built")]
        public void Builds() => Add($"built {relay}");
    }

    [Binding]
    public sealed class DefectSteps
    {
        [When("the count is {word}")]
        public void Count(int n) => Add($"count {n}");

        [When("it names a board the rig lacks")]
        public void NoBoard() => throw new TestDefectException("the rig default has no board \"dutt\"; its boards: dut");

        [When("the product misbehaves")]
        public void Product() => throw new InvalidOperationException("boot loop");
    }

    [Binding]
    public sealed class BoardSteps(ScenarioRun info, ExclusiveResources resources)
    {
        [When("it uses the bench board")]
        public async Task UsesBoard()
        {
            // What the rig does when a step first names a physical board: the scheduler took it already, so this does not wait.
            using var lease = resources.Acquire("board:bench", info.Pickle, info.Name, TimeSpan.FromSeconds(1), CancellationToken.None);
            var now = Interlocked.Increment(ref _onBoard);
            lock (Log) _maxOnBoard = Math.Max(_maxOnBoard, now);
            await Task.Delay(100);
            Interlocked.Decrement(ref _onBoard);
        }
    }

    private sealed class Recorder : IRunListener
    {
        public List<string> Attempts { get; } = new();
        public List<string> Finished { get; } = new();

        public void ScenarioAttemptFinished(ScenarioResult attempt, bool willRetry)
        {
            lock (Attempts) Attempts.Add(attempt.Pickle.Name);
        }

        public void ScenarioFinished(ScenarioResult result)
        {
            lock (Finished) Finished.Add(result.Pickle.Name);
        }
    }

    private sealed class Throwing : IRunListener
    {
        public void ScenarioStarted(ScenarioRun scenario, ScenarioOutput output) => throw new IOException("disk full");

        public void ScenarioFinished(ScenarioResult result) => throw new InvalidOperationException("report writer bug");
    }

    [Test]
    public async Task Workers_RunScenariosSideBySide_ReportsHearThemInPickleOrder()
    {
        var recorder = new Recorder();
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: first
                When it finishes after 4 other scenarios
              Scenario: second
                When it meets 1 other scenario running
              Scenario: third
                When it meets 1 other scenario running
              Scenario: fourth
                When it meets 1 other scenario running
              Scenario: fifth
                When it meets 1 other scenario running
            """, [typeof(MeetingSteps)], new ScheduleOptions { Workers = 3 }, listeners: _ => [recorder]);
        Assert.That(result.Scenarios.Select(s => s.Outcome), Is.All.EqualTo(Outcome.Passed), string.Join("\n", result.Scenarios.Select(s => s.FailureMessage)));
        Assert.That(_maxRunning, Is.EqualTo(3), "three workers ran three scenarios at once (the first and two that met), never more");
        Assert.That(recorder.Attempts[^1], Is.EqualTo("first"), "the first scenario finished last");
        Assert.That(recorder.Finished, Is.EqualTo(new[] { "first", "second", "third", "fourth", "fifth" }), "reports hear scenarios in pickle order");
        Assert.That(result.Scenarios.Select(s => s.Pickle.Name), Is.EqualTo(recorder.Finished));
    }

    [Test]
    public async Task FeatureHooks_WithWorkers_RunOnceAroundAllOfTheFeaturesScenarios()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: a
                When it meets 1 other scenario running
                And it logs "a"
              Scenario: b
                When it meets 1 other scenario running
                And it logs "b"
              Scenario: c
                When it meets 1 other scenario running
                And it logs "c"
              Scenario: d
                When it meets 1 other scenario running
                And it logs "d"
            """, [typeof(MeetingSteps)], new ScheduleOptions { Workers = 2 });
        Assert.That(result.Scenarios.Select(s => s.Outcome), Is.All.EqualTo(Outcome.Passed));
        var log = Lines();
        Assert.That(log.Count(l => l == "before feature"), Is.EqualTo(1));
        Assert.That(log.Count(l => l == "after feature"), Is.EqualTo(1));
        Assert.That(log[0], Is.EqualTo("before feature"));
        Assert.That(log[^1], Is.EqualTo("after feature"), "after the feature's last scenario, whichever worker ran it");
    }

    [Test]
    public async Task Retry_PassesOnASecondAttempt_IsFlakyWithTheSameSeedAndFreshArtifacts()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: flaky
                When it fails the first 1 time
              Scenario: broken for good
                When it fails the first 9 times
              Scenario: fine
                When it passes
            """, [typeof(FlakySteps)], new ScheduleOptions { Workers = 2 }, o => o with { Retries = 2 });
        var flaky = result.Scenarios[0];
        Assert.That((flaky.Outcome, flaky.Flaky, flaky.Attempt, flaky.EarlierAttempts.Count), Is.EqualTo((Outcome.Passed, true, 2, 1)));
        Assert.That(flaky.EarlierAttempts[0].FailureMessage, Does.Contain("the device dropped the link (call 1)"));
        var failing = result.Scenarios[1];
        Assert.That((failing.Outcome, failing.Flaky, failing.Attempt, failing.EarlierAttempts.Count), Is.EqualTo((Outcome.Failed, false, 3, 2)));
        Assert.That(result.Scenarios[2].EarlierAttempts, Is.Empty, "a passing scenario runs once");
        var attempts = Lines().Where(l => l.StartsWith("flaky attempt")).ToList();
        Assert.That(attempts.Select(a => a.Split(" seed ")[1].Split(' ')[0]).Distinct().Count(), Is.EqualTo(1), "a retry replays the same seed");
        Assert.That(attempts.Select(a => a.Split(" slug ")[1]).Distinct().Count(), Is.EqualTo(2), "each attempt has its own artifacts");
        Assert.That(result.AllPassed, Is.False, "a scenario that failed every attempt fails the run");
    }

    [Test]
    public async Task FailFast_StopsStartingScenarios_TheRestAreSkippedWithTheReason()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: breaks
                When it fails the first 1 time
              Scenario: later
                When it passes
              Scenario: last
                When it passes
            """, [typeof(FlakySteps)], new ScheduleOptions { Workers = 1, FailFast = true });
        Assert.That(result.Scenarios.Select(s => s.Outcome), Is.EqualTo(new[] { Outcome.Failed, Outcome.Skipped, Outcome.Skipped }));
        Assert.That(result.Scenarios[1].FailureMessage, Is.EqualTo("not run: --fail-fast stopped the run after kit.feature:2 (failed)"));
        Assert.That(Lines(), Does.Not.Contain("later passed"));
    }

    [Test]
    public async Task Interrupt_StopsTheRunningStep_TearsItDown_SkipsTheRestWithTheReason()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: running
                When it waits to be interrupted
                And it passes
              Scenario: not started
                When it passes
            """, [typeof(FlakySteps)], new ScheduleOptions { Workers = 1 }, whileRunning: async (run, _) =>
        {
            await Until(() => Lines().Contains("waiting"), "the first scenario started waiting");
            run.Interrupt("interrupted by SIGINT");
        });
        Assert.That(result.Interruption, Is.EqualTo("interrupted by SIGINT"));
        var running = result.Scenarios[0];
        Assert.That(running.Outcome, Is.EqualTo(Outcome.Skipped));
        Assert.That(running.FailureMessage, Does.StartWith("interrupted by SIGINT during step kit.feature:3: When it waits to be interrupted"));
        Assert.That(running.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { Outcome.Skipped, Outcome.Skipped }));
        Assert.That(Lines(), Does.Contain("teardown running"), "the interrupted scenario was torn down");
        Assert.That(result.Scenarios[1].Outcome, Is.EqualTo(Outcome.Skipped));
        Assert.That(result.Scenarios[1].FailureMessage, Is.EqualTo("not run: interrupted by SIGINT"));
        Assert.That(Lines(), Does.Not.Contain("not started passed"));
    }

    [Test]
    public async Task Interrupt_TeardownOutlastsTheGrace_RunEndsAnyway_ScenarioSaysSo()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              @stuck
              Scenario: stuck
                When its teardown gets stuck
            """, [typeof(StuckTeardown)], new ScheduleOptions { Workers = 1 }, whileRunning: async (run, abandon) =>
        {
            await Until(() => Lines().Contains("stuck scenario ran"), "the scenario ran");
            run.Interrupt("interrupted by SIGTERM");
            abandon.Cancel(); // the grace period is over at once
        });
        var stuck = result.Scenarios.Single();
        Assert.That(stuck.Outcome, Is.EqualTo(Outcome.Skipped));
        Assert.That(stuck.FailureMessage, Does.Contain("interrupted by SIGTERM").And.Contain("did not end within the grace period"));
    }

    [Test]
    public async Task Listener_Throws_RunGoesOn_OtherListenersHearEverything_ReportedAsHarnessError()
    {
        var recorder = new Recorder();
        var result = await RunnerTestKit.ScheduleAsync("Feature: F\n  Scenario: one\n    When it passes\n  Scenario: two\n    When it passes\n",
            [typeof(FlakySteps)], new ScheduleOptions { Workers = 2 }, listeners: _ => [new Throwing(), recorder]);
        Assert.That(result.Scenarios.Select(s => s.Outcome), Is.All.EqualTo(Outcome.Passed));
        Assert.That(recorder.Finished, Is.EqualTo(new[] { "one", "two" }));
        Assert.That(result.HarnessErrors, Has.Count.EqualTo(2));
        Assert.That(result.HarnessErrors, Has.Some.Contains("Throwing failed in ScenarioStarted: IOException: disk full"));
        Assert.That(result.HasRigFault, "a report that could not be written is an infrastructure fault");
    }

    [Test]
    public async Task Exceptions_AreClassified_TestDefectRigFaultOrProductFailure()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: conversion
                When the count is many
              Scenario: board
                When it names a board the rig lacks
              Scenario: context
                When a context cannot be built
              Scenario: product
                When the product misbehaves
            """, [typeof(DefectSteps), typeof(NeedsRelay)], new ScheduleOptions { Workers = 2 });
        Assert.That(result.Scenarios.Select(s => s.Outcome),
            Is.EqualTo(new[] { Outcome.TestDefect, Outcome.TestDefect, Outcome.Broken, Outcome.Failed }));
        Assert.That(result.Scenarios[0].FailureMessage, Does.Contain("cannot convert \"many\" to Int32"));
        Assert.That(result.Scenarios[2].FailureMessage, Does.Contain("the relay board did not answer"));
    }

    [Test]
    public async Task WorkerFailsAroundAScenario_ThatScenarioIsARigFault_TheOthersGoOn()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: one
                When it passes
              Scenario: two
                When it passes
              Scenario: three
                When it passes
            """, [typeof(FlakySteps)], new ScheduleOptions { Workers = 2 }, listeners: _ => [new BlockArtifacts(StableSeed.Slug("kit.feature", 4))]);
        Assert.That(result.Scenarios.Select(s => s.Outcome), Is.EqualTo(new[] { Outcome.Passed, Outcome.Broken, Outcome.Passed }));
        Assert.That(result.Scenarios[1].FailureMessage, Does.StartWith("[rig] the worker running this scenario failed: IOException"));
    }

    /// <summary>Puts a file where one scenario's artifact directory must go, so the harness around that scenario fails.</summary>
    private sealed class BlockArtifacts(string slug) : IRunListener
    {
        public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles)
        {
            Directory.CreateDirectory(run.ArtifactsDirectory);
            File.WriteAllText(Path.Combine(run.ArtifactsDirectory, slug), "not a directory");
        }
    }

    [Test]
    public async Task ExclusiveResource_ScenariosSharingABoard_NeverUseItAtTheSameTime()
    {
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: F
              Scenario: a
                When it uses the bench board
              Scenario: b
                When it uses the bench board
              Scenario: c
                When it uses the bench board
            """, [typeof(BoardSteps)], new ScheduleOptions { Workers = 3, ResourcesOf = _ => ["board:bench"] });
        Assert.That(result.Scenarios.Select(s => s.Outcome), Is.All.EqualTo(Outcome.Passed), string.Join("\n", result.Scenarios.Select(s => s.FailureMessage)));
        Assert.That(_maxOnBoard, Is.EqualTo(1));
    }

    [Test]
    public async Task ExclusiveResource_HeldElsewhere_WaitEndsInARigFaultNamingTheHolder()
    {
        var resources = new ExclusiveResources();
        using var held = await resources.AcquireAsync(["board:bench"], "scenario A", "a.feature:3", TimeSpan.FromSeconds(1), CancellationToken.None);
        var e = Assert.Throws<RigFaultException>(() => resources.Acquire("board:bench", "scenario B", "b.feature:9", TimeSpan.FromMilliseconds(50), CancellationToken.None))!;
        Assert.That(e.Message, Does.Contain("board:bench is in use by the scenario a.feature:3"));
        held.Dispose();
        using var now = resources.Acquire("board:bench", "scenario B", "b.feature:9", TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.That(resources.HolderOf("board:bench"), Is.EqualTo("b.feature:9"));
    }
}
