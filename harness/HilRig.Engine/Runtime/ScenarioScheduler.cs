using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>How <see cref="ScenarioScheduler"/> runs a run's scenarios.</summary>
public sealed record ScheduleOptions
{
    /// <summary>Scenarios run side by side (<c>--workers N</c>); 1 is a serial run.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>After the first scenario that fails the run, start no more (<c>--fail-fast</c>); running ones finish.</summary>
    public bool FailFast { get; init; }

    /// <summary>
    /// How long a scenario took last time, when known. With several workers the longest start first, so the run does not
    /// end on one long scenario started last. Start order changes nothing else: seeds and reports do not depend on it.
    /// </summary>
    public Func<Pickle, TimeSpan?>? ExpectedDuration { get; init; }

    /// <summary>What a scenario is known to need to itself (<see cref="ExclusiveResources"/> keys, e.g. a physical board).</summary>
    public Func<Pickle, IEnumerable<string>>? ResourcesOf { get; init; }
}

/// <summary>
/// Runs a run's pickles on up to <see cref="ScheduleOptions.Workers"/> workers. Each scenario has its own context (its
/// own boards, switch, namespaces, artifacts), so scenarios share nothing but run-scoped objects and what
/// <see cref="ExclusiveResources"/> hands out one at a time. When the run is interrupted or <c>--fail-fast</c> stops it,
/// no scenario starts any more; when <paramref>abandon</paramref> fires (the grace period ran out, a second Ctrl-C) the
/// scheduler stops waiting. Every pickle ends with a result: run, skipped with the reason, or — when the worker running it
/// failed outside the scenario's own code — a rig fault, while the other workers go on.
/// </summary>
public sealed class ScenarioScheduler(TestRun run, ScheduleOptions options)
{
    public async Task RunAsync(IReadOnlyList<Pickle> pickles, CancellationToken abandon = default)
    {
        await run.StartAsync(pickles);
        var queue = StartOrder(pickles);
        var resources = run.Services.Get<ExclusiveResources>();
        var started = new HashSet<Pickle>(ReferenceEqualityComparer.Instance);
        var next = -1;
        string? stopped = null;

        async Task Worker()
        {
            while (!run.IsInterrupted && Volatile.Read(ref stopped) is null)
            {
                var index = Interlocked.Increment(ref next);
                if (index >= queue.Count) return;
                var pickle = queue[index];
                IDisposable lease;
                try
                {
                    lease = await resources.AcquireAsync(options.ResourcesOf?.Invoke(pickle) ?? [], pickle, pickle.Location,
                        Timeout.InfiniteTimeSpan, run.InterruptToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                using (lease)
                {
                    if (run.IsInterrupted || Volatile.Read(ref stopped) is not null) return;
                    lock (started) started.Add(pickle);
                    ScenarioResult result;
                    try
                    {
                        result = await run.RunAsync(pickle);
                    }
                    catch (Exception e)
                    {
                        // The scenario's own failures are its result; this is the harness around it failing (its artifact
                        // directory, the engine). Say so on that scenario and let the others go on.
                        run.Report(pickle, Outcome.Broken, $"[rig] the worker running this scenario failed: {e.GetType().Name}: {e.Message}");
                        continue;
                    }
                    if (options.FailFast && result.Outcome.FailsTheRun())
                        Interlocked.CompareExchange(ref stopped, $"not run: --fail-fast stopped the run after {pickle.Location} ({result.Outcome.Word()})", null);
                }
            }
        }

        var workers = Enumerable.Range(0, Math.Clamp(options.Workers, 1, Math.Max(1, queue.Count))).Select(_ => Task.Run(Worker)).ToArray();
        try
        {
            await Task.WhenAll(workers).WaitAsync(abandon);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
        }

        foreach (var pickle in pickles.Where(p => !run.HasResult(p)))
        {
            bool wasStarted;
            lock (started) wasStarted = started.Contains(pickle);
            var interruption = run.Context.InterruptReason ?? "the run was stopped";
            if (wasStarted)
                run.Report(pickle, Outcome.Skipped,
                    $"{interruption}: the scenario was stopped, but its teardown did not end within the grace period; what it had started was killed");
            else
                run.Report(pickle, Outcome.Skipped, stopped is not null && !run.IsInterrupted ? stopped : $"not run: {interruption}");
        }
    }

    private List<Pickle> StartOrder(IReadOnlyList<Pickle> pickles)
    {
        if (options.Workers <= 1 || options.ExpectedDuration is not { } expected) return pickles.ToList();
        var known = pickles.Select(expected).OfType<TimeSpan>().Order().ToList();
        if (known.Count == 0) return pickles.ToList();
        // Longest first (LPT); a scenario not run before counts as a typical one. OrderBy is stable: ties keep pickle order.
        var typical = known[known.Count / 2];
        return pickles.OrderByDescending(p => expected(p) ?? typical).ToList();
    }
}
