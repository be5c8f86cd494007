using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>How one step ended.</summary>
public sealed record StepResult(
    PickleStep Step,
    Outcome Outcome,
    DateTimeOffset Start,
    TimeSpan Duration,
    StepDefinition? Definition,
    string? Message,
    Exception? Error,
    IReadOnlyList<Attachment> Attachments,
    string? Snippet = null,
    IReadOnlyList<StepDefinition>? Candidates = null);

/// <summary>How one hook ended.</summary>
public sealed record HookResult(HookDefinition Hook, Outcome Outcome, DateTimeOffset Start, TimeSpan Duration, Exception? Error);

/// <summary>How one scenario ended, with everything a report needs.</summary>
public sealed record ScenarioResult(
    Pickle Pickle,
    int Seed,
    Outcome Outcome,
    DateTimeOffset Start,
    TimeSpan Duration,
    IReadOnlyList<StepResult> Steps,
    IReadOnlyList<HookResult> Hooks,
    IReadOnlyList<Attachment> Attachments,
    IReadOnlyList<string> Log,
    string? FailureMessage,
    string ReplayCommand,
    Exception? CleanupError = null);

/// <summary>How the whole run ended.</summary>
public sealed record RunResult(IReadOnlyList<ScenarioResult> Scenarios, DateTimeOffset Start, TimeSpan Duration, IReadOnlyList<HookResult> RunHooks)
{
    public int Count(Outcome outcome) => Scenarios.Count(s => s.Outcome == outcome);

    public bool HasRigFault => Scenarios.Any(s => s.Outcome == Outcome.Broken) || RunHooks.Any(h => h.Outcome == Outcome.Broken);

    public bool AllPassed => Scenarios.All(s => s.Outcome is Outcome.Passed or Outcome.Skipped) && RunHooks.All(h => h.Outcome == Outcome.Passed);
}
