using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Runtime;

[NonParallelizable]
public class HookTests
{
    private static readonly List<string> Log = new();

    [SetUp]
    public void Clear() => Log.Clear();

    [Binding]
    public sealed class Hooks(ScenarioRun info)
    {
        [BeforeTestRun]
        public static void BeforeRun() => Log.Add("before run");

        [AfterTestRun]
        public static void AfterRun() => Log.Add("after run");

        [BeforeScenario(Order = 2)]
        public void Second() => Log.Add($"before#2 {info.Name}");

        [BeforeScenario(Order = 1)]
        public void First() => Log.Add($"before#1 {info.Name}");

        [BeforeScenario("@a and not (@b or @c)")]
        public void Scoped() => Log.Add($"scoped {info.Name}");

        [AfterScenario(Order = 1)]
        public void AfterFirst() => Log.Add($"after#1 {info.Name}");

        [AfterScenario(Order = 2)]
        public void AfterSecond() => Log.Add($"after#2 {info.Name}");

        [BeforeStep("@steps")]
        public void BeforeStep(PickleStep step) => Log.Add($"before step {step.Text}");

        [AfterStep("@steps")]
        public void AfterStep(PickleStep step) => Log.Add($"after step {step.Text}");

        [Given("step {word}")]
        public void Step(string name) => Log.Add($"step {name}");
    }

    [Binding]
    public sealed class FailingBefore
    {
        [BeforeScenario("@explode")]
        public void Explode() => throw new RigFaultException("relay did not answer");

        [Given("never runs")]
        public void Never() => Log.Add("ran anyway");
    }

    [Test]
    public async Task Hooks_RunInOrder_ScopedByTagExpression_AfterHooksUnwind()
    {
        await RunnerTestKit.RunAsync("""
            Feature: F
              @a
              Scenario: only-a
                Given step x
              @a @c
              Scenario: a-and-c
                Given step y
              @steps
              Scenario: with-steps
                Given step z
            """, [typeof(Hooks)]);
        Assert.That(Log, Is.EqualTo(new[]
        {
            "before run",
            "before#1 only-a", "before#2 only-a", "scoped only-a", "step x", "after#1 only-a", "after#2 only-a",
            "before#1 a-and-c", "before#2 a-and-c", "step y", "after#1 a-and-c", "after#2 a-and-c",
            "before#1 with-steps", "before#2 with-steps", "before step step z", "step z", "after step step z", "after#1 with-steps", "after#2 with-steps",
            "after run",
        }));
    }

    [Test]
    public async Task BeforeScenarioHookFails_StepsSkipped_OutcomeFromTheHook()
    {
        var r = (await RunnerTestKit.RunAsync("Feature: F\n  @explode\n  Scenario: S\n    Given never runs\n", [typeof(FailingBefore)])).Single();
        Assert.That(r.Outcome, Is.EqualTo(Outcome.Broken));
        Assert.That(r.Steps.Single().Outcome, Is.EqualTo(Outcome.Skipped));
        Assert.That(r.FailureMessage, Does.Contain("relay did not answer"));
        Assert.That(Log, Does.Not.Contain("ran anyway"));
    }

    [Test]
    public void Registry_HookWithInvalidTagExpression_IsReportedWithPosition()
    {
        var e = Assert.Throws<StepBindingException>(() => BindingRegistry.Build([typeof(BadHook)]))!;
        Assert.That(e.Message, Does.Contain("BadHook.Hook(): [BeforeScenario(\"@a and\")]: invalid tag expression \"@a and\" at position 7"));
    }

    [Binding]
    public sealed class BadHook
    {
        [BeforeScenario("@a and")]
        public void Hook()
        {
        }
    }
}
