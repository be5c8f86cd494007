using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>Observes a run: reports, the live console and the NUnit bridge are listeners.</summary>
public interface IRunListener
{
    void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles) { }

    void ScenarioStarted(ScenarioRun scenario, ScenarioOutput output) { }

    void StepFinished(ScenarioRun scenario, StepResult step) { }

    void ScenarioFinished(ScenarioResult result) { }

    void RunFinished(RunContext run, RunResult result) { }
}
