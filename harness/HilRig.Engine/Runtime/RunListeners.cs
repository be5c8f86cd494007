using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Calls every listener of a run, each on its own: one that throws (a report writer on a full disk, a listener with a
/// bug) is recorded as a harness error — shown at the end of the run, exit 3 — and never aborts the run or keeps the
/// other listeners from hearing the event. Once the run has finished, late events (from a scenario that was abandoned
/// when a grace period ran out) are dropped.
/// </summary>
public sealed class RunListeners(IEnumerable<IRunListener> listeners)
{
    private readonly IReadOnlyList<IRunListener> _listeners = listeners.ToList();
    private readonly List<string> _errors = new();
    private volatile bool _closed;

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors) return _errors.ToList();
        }
    }

    public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles) => Notify(nameof(RunStarted), l => l.RunStarted(run, pickles));

    public void ScenarioStarted(ScenarioRun scenario, ScenarioOutput output) => Notify(nameof(ScenarioStarted), l => l.ScenarioStarted(scenario, output));

    public void StepFinished(ScenarioRun scenario, StepResult step) => Notify(nameof(StepFinished), l => l.StepFinished(scenario, step));

    public void ScenarioAttemptFinished(ScenarioResult attempt, bool willRetry) =>
        Notify(nameof(ScenarioAttemptFinished), l => l.ScenarioAttemptFinished(attempt, willRetry));

    public void ScenarioFinished(ScenarioResult result) => Notify(nameof(ScenarioFinished), l => l.ScenarioFinished(result));

    /// <summary>The last event: every listener hears it (with the errors so far in the result), then nothing more is delivered.</summary>
    public void RunFinished(RunContext run, Func<RunResult> result)
    {
        if (_closed) return;
        foreach (var listener in _listeners) Call(listener, nameof(RunFinished), l => l.RunFinished(run, result()));
        _closed = true;
    }

    private void Notify(string what, Action<IRunListener> call)
    {
        if (_closed) return;
        foreach (var listener in _listeners) Call(listener, what, call);
    }

    private void Call(IRunListener listener, string what, Action<IRunListener> call)
    {
        try
        {
            call(listener);
        }
        catch (Exception e)
        {
            var error = $"[rig] the run listener {listener.GetType().Name} failed in {what}: {e.GetType().Name}: {e.Message}";
            lock (_errors)
                if (!_errors.Contains(error)) _errors.Add(error);
        }
    }
}
