using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using Reqnroll;

namespace HilRig.Steps.Faults;

/// <summary>The step running now, so a fault a step applies is recorded with the feature file and line that asked for it.</summary>
public sealed class CurrentStep(ScenarioRun scenario)
{
    public PickleStep? Step { get; set; }

    public string Location => Step is { } s ? $"{scenario.Pickle.Uri}:{s.Line}" : scenario.Pickle.Uri;
}

[Binding]
public sealed class CurrentStepHook(CurrentStep current)
{
    [BeforeStep]
    public void Remember(PickleStep step) => current.Step = step;
}
