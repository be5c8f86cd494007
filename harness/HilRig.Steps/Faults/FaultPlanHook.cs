using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Simulators.Faults;
using Reqnroll;

namespace HilRig.Steps.Faults;

/// <summary><c>hilrig run --plan FILE</c>: the plan starts with every scenario (its clock at the scenario's start).</summary>
[Binding]
public sealed class FaultPlanHook(RunContext run, ScenarioFaults faults)
{
    [BeforeScenario(Order = 10)]
    public void StartRunPlan()
    {
        if (run.Options.FaultPlan is not { } path) return;
        faults.Start(FaultPlanParser.ParseFile(path));
    }
}
