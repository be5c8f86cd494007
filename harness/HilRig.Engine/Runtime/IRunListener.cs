using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Observes a run: reports, the live console and the NUnit bridge are listeners. Scenarios may run side by side
/// (<c>--workers</c>), so every method may be called from several threads; <see cref="ScenarioFinished"/> comes once per
/// scenario, in pickle order when the run was started with its pickles (reports list scenarios as a serial run would),
/// after the scenario's last attempt. <see cref="ScenarioAttemptFinished"/> comes as each attempt ends, for live views.
/// A listener that throws is reported as a harness error and the run goes on without that call.
/// </summary>
public interface IRunListener
{
    void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles) { }

    void ScenarioStarted(ScenarioRun scenario, ScenarioOutput output) { }

    void StepFinished(ScenarioRun scenario, StepResult step) { }

    /// <summary>One attempt ended; <paramref name="willRetry"/> when <c>--retry</c> runs the scenario again.</summary>
    void ScenarioAttemptFinished(ScenarioResult attempt, bool willRetry) { }

    void ScenarioFinished(ScenarioResult result) { }

    void RunFinished(RunContext run, RunResult result) { }
}
