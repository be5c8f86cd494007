using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Runtime;

[NonParallelizable]
public class ScenarioRunnerTests
{
    internal static readonly List<string> Log = new();

    [SetUp]
    public void Clear() => Log.Clear();

    // ---- bindings used by these tests ----

    public sealed class Counter : IDisposable
    {
        private static int _next;
        public int Id { get; } = Interlocked.Increment(ref _next);
        public int Value { get; set; }
        public void Dispose() => Log.Add($"dispose counter {Id}");
    }

    [RunScoped]
    public sealed class RunWide
    {
        public int Scenarios { get; set; }
    }

    [Binding]
    public sealed class CountingSteps(Counter counter, RunWide runWide, ScenarioRun info)
    {
        [Given("the counter is {int}")]
        public void Set(int value)
        {
            counter.Value = value;
            runWide.Scenarios++;
        }

        [When("I add {int} cucumber(s)")]
        public async Task Add(int n, CancellationToken token)
        {
            await Task.Yield();
            token.ThrowIfCancellationRequested();
            counter.Value += n;
        }

        [Then(@"^the counter is (\d+) in counter (.*)$")]
        public void Check(int expected, string _) => Assert.That(counter.Value, Is.EqualTo(expected));

        [Then("the rows add up to {int}")]
        public void Rows(int total, DataTable table) =>
            Assert.That(table.ToDictionaries().Sum(r => int.Parse(r["n"])), Is.EqualTo(total));

        [Then("the doc says {string}")]
        public void Doc(string expected, DocString doc)
        {
            Assert.That(doc.Content, Is.EqualTo(expected));
            Assert.That(doc.MediaType, Is.EqualTo("text/plain"));
        }

        [Then("run-wide scenarios counted {int}")]
        public void RunWideCount(int n) => Assert.That(runWide.Scenarios, Is.EqualTo(n));

        [Then("the seed is stable")]
        public void Seed() => Log.Add($"seed {info.Seed} {info.RandomFor("x").Next()}");

        [Then("the counter object is the one {word} used")]
        public void SameObject(string _) => Log.Add($"counter {counter.Id}");
    }

    [Binding]
    public sealed class OtherSteps(Counter counter)
    {
        [When("another binding class reads the counter")]
        public void Read() => Log.Add($"other sees {counter.Value} in counter {counter.Id}");

        [StepArgumentTransformation("red|green|blue", Name = "color")]
        [UseForSnippets(false)]
        public ConsoleColor Color(string name) => Enum.Parse<ConsoleColor>(name, ignoreCase: true);

        [Given("the light is {color}")]
        public void Light(ConsoleColor color) => Log.Add($"light {color} counter {counter.Id}");
    }

    [Binding]
    public sealed class TroubleSteps
    {
        [When("it throws")]
        public void Throws() => throw new InvalidOperationException("boom from the device");

        [When("it is pending")]
        public void Pending() => throw new PendingStepException("not written yet");

        [When("the rig breaks")]
        public void RigBreaks() => throw new RigFaultException("pty could not be opened");

        [When("it hangs")]
        public Task Hangs(CancellationToken token) => Task.Delay(Timeout.Infinite, token);

        [When("it runs")]
        public void Runs() => Log.Add("ran");

        [When("clash {int}")]
        public void ClashA(int _)
        {
        }

        [When("clash {word}")]
        public void ClashB(string _)
        {
        }
    }

    // ---- tests ----

    [Test]
    public async Task Run_PassingScenario_BindsEveryArgumentKind()
    {
        var results = await RunnerTestKit.RunAsync(""""
            Feature: F
              Scenario: S
                Given the counter is 2
                When I add 1 cucumber
                And I add 3 cucumbers
                Then the counter is 6 in counter thing
                And the rows add up to 6
                  | n |
                  | 1 |
                  | 5 |
                And the doc says "hello"
                  """text/plain
                  hello
                  """
                Given the light is green
            """", [typeof(CountingSteps), typeof(OtherSteps)]);
        var r = results.Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Passed), r.FailureMessage);
        Assert.That(r.Steps.All(s => s.Outcome == Outcome.Passed));
        Assert.That(Log.Any(x => x.StartsWith("light Green")), "the custom {color} type converted the text");
    }

    [Test]
    public async Task Run_ContextObjects_SharedWithinScenario_FreshPerScenario_DisposedAfter()
    {
        var results = await RunnerTestKit.RunAsync("""
            Feature: F
              Scenario: one
                Given the counter is 5
                When another binding class reads the counter
                Then the counter object is the one one used
              Scenario: two
                Given the counter is 1
                When another binding class reads the counter
                Then run-wide scenarios counted 2
            """, [typeof(CountingSteps), typeof(OtherSteps)]);
        Assert.That(results.Select(r => r.Outcome), Is.All.EqualTo(Outcome.Passed), string.Join("\n", results.Select(r => r.FailureMessage)));
        var reads = Log.Where(l => l.StartsWith("other sees")).ToList();
        Assert.That(reads[0], Does.StartWith("other sees 5"));
        Assert.That(reads[1], Does.StartWith("other sees 1"));
        var ids = reads.Select(r => r.Split(' ').Last()).ToList();
        Assert.That(ids[0], Is.Not.EqualTo(ids[1]), "a new scenario builds a new context object");
        Assert.That(Log, Does.Contain($"counter {ids[0]}"), "two binding classes of one scenario got the same object");
        Assert.That(Log.IndexOf($"dispose counter {ids[0]}"), Is.LessThan(Log.IndexOf($"other sees 1 in counter {ids[1]}")),
            "the first scenario's context is disposed before the second runs");
    }

    [Test]
    public async Task Run_UndefinedStep_IsUndefinedWithSnippet_LaterStepsSkipped()
    {
        var r = (await RunnerTestKit.RunAsync("""
            Feature: F
              Scenario: S
                Given the counter is 1
                When I flash "fw.bin" to board 3 at 1.5 volts
                Then it runs
            """, [typeof(CountingSteps), typeof(TroubleSteps)])).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Undefined));
        Assert.That(r.Steps.Select(s => s.Outcome), Is.EqualTo(new[] { Outcome.Passed, Outcome.Undefined, Outcome.Skipped }));
        var snippet = r.Steps[1].Snippet!;
        Assert.That(snippet, Does.Contain("[When(\"I flash {string} to board {int} at {double} volts\")]"));
        Assert.That(snippet, Does.Contain("public void WhenIFlashToBoardAtVolts(string p0, int p1, double p2)"));
        Assert.That(r.FailureMessage, Does.Contain("kit.feature:4").And.Contain("throw new PendingStepException()"));
        Assert.That(Log, Does.Not.Contain("ran"));
    }

    [Test]
    public async Task Run_AmbiguousStep_NamesEveryMatchingBinding()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When clash 3\n", [typeof(TroubleSteps)])).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Ambiguous));
        Assert.That(r.FailureMessage, Does.Contain("TroubleSteps.ClashA(Int32)").And.Contain("TroubleSteps.ClashB(String)").And.Contain("kit.feature:3"));
    }

    [Test]
    public async Task Run_PendingStep_IsPending()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When it is pending\n    When it runs\n", [typeof(TroubleSteps)])).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Pending));
        Assert.That(r.Steps[1].Outcome, Is.EqualTo(Outcome.Skipped));
    }

    [Test]
    public async Task Run_StepThrows_ScenarioFailsWithExceptionAndLocation_RunGoesOn()
    {
        var results = await RunnerTestKit.RunAsync("""
            Feature: F
              Scenario: bad
                When it throws
              Scenario: good
                When it runs
            """, [typeof(TroubleSteps)]);
        Assert.That(results[0].Outcome, Is.EqualTo(Outcome.Failed));
        Assert.That(results[0].FailureMessage, Does.Contain("kit.feature:3").And.Contain("InvalidOperationException: boom from the device"));
        Assert.That(results[0].Steps[0].Error, Is.InstanceOf<InvalidOperationException>());
        Assert.That(results[0].ReplayCommand, Is.EqualTo("./hilrig run kit.feature:2 --seed 7"));
        Assert.That(results[1].Outcome, Is.EqualTo(Outcome.Passed));
    }

    [Test]
    public async Task ReplayLine_FeaturePathIsRelativeToTheReplayDirectory_NotTheWorkingDirectory()
    {
        // The NUnit bridge runs in its bin directory: its replay lines said ./hilrig run ../../../../update/x.feature.
        var parent = Path.GetDirectoryName(Environment.CurrentDirectory)!;
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: bad\n    When it throws\n", [typeof(TroubleSteps)], replayDirectory: parent)).Single();
        Assert.That(r.ReplayCommand, Is.EqualTo($"./hilrig run {Path.GetFileName(Environment.CurrentDirectory)}/kit.feature:2 --seed 7"));
        Assert.That(r.FailureMessage, Does.StartWith($"Step failed at {Path.GetFileName(Environment.CurrentDirectory)}/kit.feature:3: When it throws"),
            "the failing step's location reads like the replay line (CI printed ../../../../update/recovery.feature:18)");
    }

    [Test]
    public async Task Run_RigFault_IsBrokenNotFailed()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When the rig breaks\n", [typeof(TroubleSteps)])).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Broken));
        Assert.That(r.FailureMessage, Does.Contain("[rig] pty could not be opened"));
    }

    [Test]
    public async Task Run_StepTimeout_FailsTheStepAndCancelsIt()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    When it hangs\n", [typeof(TroubleSteps)], stepTimeout: TimeSpan.FromMilliseconds(200))).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Failed));
        Assert.That(r.FailureMessage, Does.Contain("step timeout"));
    }

    [Test]
    public async Task DryRun_BindsWithoutRunning()
    {
        var results = await RunnerTestKit.RunAsync("""
            Feature: F
              Scenario: bound
                When it runs
              Scenario: unbound
                When nobody wrote this
            """, [typeof(TroubleSteps)], dryRun: true);
        Assert.That(results[0].Outcome, Is.EqualTo(Outcome.Skipped));
        Assert.That(results[1].Outcome, Is.EqualTo(Outcome.Undefined));
        Assert.That(Log, Is.Empty, "a dry run calls no step");
    }

    [Test]
    public async Task Seed_DependsOnRunSeedAndLocationOnly()
    {
        await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    Then the seed is stable\n", [typeof(CountingSteps)]);
        await RunnerTestKit.RunAsync("Feature: F\n  Scenario: S\n    Then the seed is stable\n", [typeof(CountingSteps)]);
        Assert.That(Log.Where(l => l.StartsWith("seed")).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public void Registry_BadSignature_IsReportedWithTheMethod()
    {
        var e = Assert.Throws<StepBindingException>(() => BindingRegistry.Build([typeof(BadSignature)]))!;
        Assert.That(e.Message, Does.Contain("BadSignature.TooMany(Int32, Int32, Int32)"));
    }

    [Binding]
    public sealed class BadSignature
    {
        [Given("only {int}")]
        public void TooMany(int a, int b, int c)
        {
        }
    }
}
