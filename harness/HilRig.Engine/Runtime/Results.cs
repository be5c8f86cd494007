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

/// <summary>
/// How one scenario ended, with everything a report needs. <see cref="FailureMessage"/> says why it did not pass; for a
/// skipped scenario it is the reason it did not run (an interrupted run, <c>--fail-fast</c>), null for a dry run.
/// <see cref="Attempt"/> counts from 1; with <c>--retry</c>, the final result carries the attempts before it in
/// <see cref="EarlierAttempts"/>, and one that passed only on a retry is <see cref="Flaky"/>.
/// </summary>
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
    Exception? CleanupError = null)
{
    public int Attempt { get; init; } = 1;

    public IReadOnlyList<ScenarioResult> EarlierAttempts { get; init; } = [];

    /// <summary>Passed, but only after at least one failed attempt: reported flaky, not passed.</summary>
    public bool Flaky => Outcome == Outcome.Passed && EarlierAttempts.Count > 0;
}

/// <summary>
/// How the whole run ended: the scenarios in pickle order, the run hooks, what went wrong in the harness itself (a report
/// writer or other listener that threw: the run went on without it) and, for an interrupted run, why it stopped.
/// </summary>
public sealed record RunResult(IReadOnlyList<ScenarioResult> Scenarios, DateTimeOffset Start, TimeSpan Duration, IReadOnlyList<HookResult> RunHooks)
{
    public IReadOnlyList<string> HarnessErrors { get; init; } = [];

    /// <summary>Set when the run was interrupted (Ctrl-C, SIGTERM): the reason, as the skipped scenarios give it.</summary>
    public string? Interruption { get; init; }

    public int Count(Outcome outcome) => Scenarios.Count(s => s.Outcome == outcome);

    public bool HasRigFault =>
        Scenarios.Any(s => s.Outcome == Outcome.Broken) || RunHooks.Any(h => h.Outcome == Outcome.Broken) || HarnessErrors.Count > 0;

    public bool AllPassed => Scenarios.All(s => !s.Outcome.FailsTheRun()) && RunHooks.All(h => h.Outcome == Outcome.Passed);
}
