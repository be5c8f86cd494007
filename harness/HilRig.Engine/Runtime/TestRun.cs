using System.Diagnostics;
using System.Reflection;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using Reqnroll;

namespace HilRig.Engine.Runtime;

/// <summary>
/// One run of many scenarios, shared by <c>hilrig run</c> (through <see cref="ScenarioScheduler"/>, which runs several
/// side by side) and the NUnit bridge: before-run hooks, each scenario (with before/after-feature hooks around each
/// feature's scenarios, and <c>--retry</c> attempts), after-run hooks, then the listeners (reports) are told the run
/// finished. Scenarios may finish in any order; listeners hear <see cref="IRunListener.ScenarioFinished"/> in the order
/// of the pickles given to <see cref="StartAsync"/>, so reports read as a serial run's would.
/// </summary>
public sealed class TestRun : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<ScenarioResult> _results = new();
    private readonly List<HookResult> _runHooks = new();
    private readonly RunListeners _listeners;
    private readonly ScenarioRunner _runner;
    private readonly Stopwatch _clock = new();
    private readonly CancellationTokenSource _interrupt = new();
    private readonly Dictionary<string, int> _order = new();
    private readonly Dictionary<string, int> _featureSizes = new();
    private readonly SortedDictionary<int, ScenarioResult> _waiting = new();
    private readonly HashSet<string> _finished = new();
    private readonly Dictionary<string, FeatureScope> _features = new();
    private int _nextToDeliver;
    private bool _delivering = true;
    private DateTimeOffset _start;
    private bool _started;
    private bool _runHooksFailed;

    public TestRun(BindingRegistry registry, RunOptions options, IEnumerable<IRunListener> listeners, Action<ScenarioServices>? configure = null)
    {
        Registry = registry;
        Context = new RunContext(options) { Bindings = registry };
        Services = ScenarioServices.CreateRunScope();
        Services.Add(Context);
        Services.Add(registry);
        configure?.Invoke(Services);
        _listeners = new RunListeners(listeners);
        _runner = new ScenarioRunner(registry, Services, Context, _listeners);
    }

    public BindingRegistry Registry { get; }

    public RunContext Context { get; }

    public ScenarioServices Services { get; }

    /// <summary>Final results delivered so far, in pickle order.</summary>
    public IReadOnlyList<ScenarioResult> Results
    {
        get
        {
            lock (_gate) return _results.ToList();
        }
    }

    /// <summary>True once <see cref="Interrupt"/> was called: no scenario should be started any more.</summary>
    public bool IsInterrupted => _interrupt.IsCancellationRequested;

    /// <summary>Cancelled by <see cref="Interrupt"/>.</summary>
    public CancellationToken InterruptToken => _interrupt.Token;

    public static TestRun Create(IEnumerable<Assembly> bindingAssemblies, RunOptions options, IEnumerable<IRunListener> listeners,
        Action<ScenarioServices>? configure = null) =>
        new(BindingRegistry.Build(bindingAssemblies), options, listeners, configure);

    /// <summary>Starts the run: <paramref name="pickles"/> are what it will run, in the order reports list them.</summary>
    public async Task StartAsync(IReadOnlyList<Pickle> pickles)
    {
        lock (_gate)
        {
            if (_started) return;
            _started = true;
            for (var i = 0; i < pickles.Count; i++)
            {
                if (!_order.TryAdd(pickles[i].Location, i)) continue;
                _featureSizes[pickles[i].Uri] = _featureSizes.GetValueOrDefault(pickles[i].Uri) + 1;
            }
        }
        _start = DateTimeOffset.Now;
        _clock.Start();
        Directory.CreateDirectory(Context.Options.ResultsDirectory);
        // Evidence of an earlier run must never be mistaken for this run's.
        if (Directory.Exists(Context.ArtifactsDirectory)) Directory.Delete(Context.ArtifactsDirectory, recursive: true);
        _listeners.RunStarted(Context, pickles);
        if (Context.Options.DryRun) return;
        foreach (var hook in Registry.HooksFor(HookKind.BeforeRun, null, []))
        {
            var result = await RunHookAsync(hook, Outcome.Broken);
            if (result.Outcome == Outcome.Passed) continue;
            _runHooksFailed = true;
            break;
        }
    }

    /// <summary>
    /// Stops the run from the outside (Ctrl-C): running scenarios are told to stop and are torn down, and scenarios not
    /// started are reported skipped with <paramref name="reason"/>.
    /// </summary>
    public void Interrupt(string reason)
    {
        lock (_gate) Context.InterruptReason ??= reason;
        _interrupt.Cancel();
    }

    /// <summary>Runs one pickle to its final result (retrying a failed or broken one <see cref="RunOptions.Retries"/> times).</summary>
    public async Task<ScenarioResult> RunAsync(Pickle pickle, CancellationToken cancellation = default)
    {
        if (!_started) await StartAsync([pickle]);
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _interrupt.Token);
        var scope = _runHooksFailed ? null : await EnterFeatureAsync(pickle);
        HookResult? failedHook;
        lock (_gate) failedHook = _runHooksFailed ? _runHooks.First(h => h.Outcome != Outcome.Passed) : scope?.Failed;
        ScenarioResult result;
        if (failedHook is not null)
        {
            result = NotRun(pickle, failedHook.Outcome,
                $"not run: {Describe(failedHook.Hook.Kind)} hook {StepDefinition.Describe(failedHook.Hook.Method)} failed: {failedHook.Error?.Message}");
        }
        else
        {
            var earlier = new List<ScenarioResult>();
            for (var attempt = 1; ; attempt++)
            {
                var attemptResult = await _runner.RunAsync(pickle, scope!.Context, attempt, interrupt.Token);
                var retry = attempt <= Context.Options.Retries && attemptResult.Outcome is Outcome.Failed or Outcome.Broken
                    && !interrupt.IsCancellationRequested;
                _listeners.ScenarioAttemptFinished(attemptResult, retry);
                if (retry)
                {
                    earlier.Add(attemptResult);
                    continue;
                }
                result = attemptResult with { EarlierAttempts = earlier };
                break;
            }
        }
        Deliver(result);
        await LeaveFeatureAsync(pickle, scope);
        return result;
    }

    /// <summary>
    /// The final result of a pickle that did not run to its end: skipped with the reason (an interrupted run,
    /// <c>--fail-fast</c>), or broken when the harness failed around it. A pickle that has its result keeps it.
    /// </summary>
    public void Report(Pickle pickle, Outcome outcome, string reason) => Deliver(NotRun(pickle, outcome, reason));

    /// <summary>Whether the pickle has its final result (run or skipped).</summary>
    public bool HasResult(Pickle pickle)
    {
        lock (_gate) return _finished.Contains(pickle.Location);
    }

    /// <summary>
    /// Ends the run: after-feature and after-run hooks, the run scope disposed, listeners told. When
    /// <paramref name="abandon"/> is cancelled (a second Ctrl-C, a grace period that ran out) hooks are not started and
    /// disposal is not waited for: the reports are written with what there is.
    /// </summary>
    public async Task<RunResult> FinishAsync(CancellationToken abandon = default)
    {
        lock (_gate)
        {
            // Scenarios that never got a result leave gaps; what finished after them is delivered in order all the same.
            foreach (var (_, waiting) in _waiting) Publish(waiting);
            _waiting.Clear();
            _delivering = false;
        }
        List<FeatureScope> open;
        lock (_gate)
        {
            open = _features.Values.ToList();
            _features.Clear();
        }
        foreach (var scope in open)
            if (!abandon.IsCancellationRequested) await CloseFeatureAsync(scope);
        if (!Context.Options.DryRun && _started && !abandon.IsCancellationRequested)
            foreach (var hook in Registry.HooksFor(HookKind.AfterRun, null, []))
                await RunHookAsync(hook, Outcome.Broken);
        try
        {
            await Services.DisposeAsync().AsTask().WaitAsync(abandon);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            lock (_gate)
                _runHooks.Add(new HookResult(new HookDefinition(HookKind.AfterRun, ((Action)DisposeMarker).Method, Tags.TagExpression.Always, null, [], 0),
                    ScenarioRunner.Classify(e), DateTimeOffset.Now, TimeSpan.Zero, e));
        }
        RunResult Result()
        {
            lock (_gate)
                return new RunResult(_results.ToList(), _start, _clock.Elapsed, _runHooks.ToList())
                {
                    HarnessErrors = _listeners.Errors,
                    Interruption = Context.InterruptReason,
                };
        }
        _listeners.RunFinished(Context, Result);
        return Result();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        _interrupt.Dispose();
    }

    private static void DisposeMarker()
    {
    }

    private ScenarioResult NotRun(Pickle pickle, Outcome outcome, string reason) =>
        new(pickle, ScenarioRun.SeedOf(Context, pickle), outcome, DateTimeOffset.Now, TimeSpan.Zero, [], [], [], [], reason, Context.ReplayCommand(pickle));

    /// <summary>Hands a final result to the listeners once every pickle before it has its own (unknown pickles at once).</summary>
    private void Deliver(ScenarioResult result)
    {
        lock (_gate)
        {
            // After the reports were told the run's results, a straggler (abandoned when its grace ran out) has no place.
            if (!_delivering) return;
            var key = result.Pickle.Location;
            if (!_order.TryGetValue(key, out var index))
            {
                // Not in the run's list (the NUnit bridge starts without one): no order to keep.
                Publish(result);
                return;
            }
            // The first final result counts: a scenario abandoned when its grace ran out was reported skipped already.
            if (!_finished.Add(key)) return;
            _waiting[index] = result;
            while (_waiting.Remove(_nextToDeliver, out var next))
            {
                Publish(next);
                _nextToDeliver++;
            }
        }
    }

    private void Publish(ScenarioResult result)
    {
        _results.Add(result);
        _listeners.ScenarioFinished(result);
    }

    /// <summary>
    /// Before-feature hooks run once, when the first scenario of a feature starts; scenarios of the same feature that
    /// start meanwhile (on other workers) wait for them. The after-feature hooks run when the feature's last scenario of
    /// the run has finished — or, for a feature whose scenarios the run was not told in advance (the NUnit bridge), when a
    /// scenario of another feature arrives, as in a serial Reqnroll run — or at the end of the run.
    /// </summary>
    private async Task<FeatureScope> EnterFeatureAsync(Pickle pickle)
    {
        FeatureScope? scope;
        var created = false;
        var leftBehind = new List<FeatureScope>();
        lock (_gate)
        {
            if (!_features.TryGetValue(pickle.Uri, out scope))
            {
                foreach (var openEnded in _features.Values.Where(f => f.Remaining is null && f.Active == 0).ToList())
                {
                    _features.Remove(openEnded.Uri);
                    leftBehind.Add(openEnded);
                }
                scope = new FeatureScope(pickle.Uri, pickle, ReqnrollContexts.CreateFeatureContext(pickle),
                    _featureSizes.TryGetValue(pickle.Uri, out var size) ? size : null);
                _features[pickle.Uri] = scope;
                created = true;
            }
            scope.Active++;
        }
        foreach (var previous in leftBehind) await CloseFeatureAsync(previous);
        if (!created)
        {
            await scope.Ready.Task;
            return scope;
        }
        if (!Context.Options.DryRun)
        {
            foreach (var hook in Registry.HooksFor(HookKind.BeforeFeature, null, pickle.FeatureTags))
            {
                // A feature hook prepares the rig for many scenarios: when it fails none of them can be trusted, so it is a rig fault.
                var result = await RunHookAsync(hook, Outcome.Broken, scope.Context);
                if (result.Outcome == Outcome.Passed) continue;
                scope.Failed = result;
                break;
            }
        }
        scope.Ready.SetResult();
        return scope;
    }

    private async Task LeaveFeatureAsync(Pickle pickle, FeatureScope? scope)
    {
        if (scope is null) return;
        var close = false;
        lock (_gate)
        {
            scope.Active--;
            if (scope.Remaining is { } remaining && _order.ContainsKey(pickle.Location))
            {
                scope.Remaining = remaining - 1;
                close = scope.Remaining <= 0 && scope.Active == 0 && _features.Remove(scope.Uri);
            }
        }
        if (close) await CloseFeatureAsync(scope);
    }

    private async Task CloseFeatureAsync(FeatureScope scope)
    {
        if (!Context.Options.DryRun)
            foreach (var hook in Registry.HooksFor(HookKind.AfterFeature, null, scope.First.FeatureTags))
                await RunHookAsync(hook, Outcome.Broken, scope.Context);
        ((IDisposable)scope.Context).Dispose();
    }

    private async Task<HookResult> RunHookAsync(HookDefinition hook, Outcome failure, params object[] extra)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var ending = await BoundedCall.RunAsync(_ => ScenarioRunner.InvokeHookAsync(hook, Services, null, extra),
            Context.Options.StepTimeout, Context.Options.StepStopGrace, CancellationToken.None);
        var error = ending.TimedOut
            ? new TimeoutException($"the hook did not finish within {Context.Options.StepTimeout.TotalSeconds:0.#} s (step timeout)")
            : ending.Error;
        var result = new HookResult(hook, error is null ? Outcome.Passed : failure, start, clock.Elapsed, error);
        lock (_gate) _runHooks.Add(result);
        return result;
    }

    private static string Describe(HookKind kind) => kind switch
    {
        HookKind.BeforeRun => "before-run",
        HookKind.BeforeFeature => "before-feature",
        _ => kind.ToString(),
    };

    /// <summary>One feature's context and hooks while its scenarios run; <see cref="Remaining"/> is null when unknown.</summary>
    private sealed class FeatureScope(string uri, Pickle first, FeatureContext context, int? remaining)
    {
        public string Uri { get; } = uri;
        public Pickle First { get; } = first;
        public FeatureContext Context { get; } = context;
        public int? Remaining { get; set; } = remaining;
        public int Active { get; set; }
        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public HookResult? Failed { get; set; }
    }
}
