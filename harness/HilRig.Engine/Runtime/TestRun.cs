using System.Diagnostics;
using System.Reflection;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using Reqnroll;

namespace HilRig.Engine.Runtime;

/// <summary>
/// One run of many scenarios, shared by <c>hilrig run</c> and the NUnit bridge: before-run hooks, each
/// scenario (with before/after-feature hooks around each feature's scenarios), after-run hooks, then the
/// listeners (reports) are told the run finished.
/// </summary>
public sealed class TestRun : IAsyncDisposable
{
    private readonly List<ScenarioResult> _results = new();
    private readonly List<HookResult> _runHooks = new();
    private readonly IReadOnlyList<IRunListener> _listeners;
    private readonly ScenarioRunner _runner;
    private readonly Stopwatch _clock = new();
    private DateTimeOffset _start;
    private bool _started;
    private bool _runHooksFailed;
    private FeatureScope? _feature;

    public TestRun(BindingRegistry registry, RunOptions options, IEnumerable<IRunListener> listeners, Action<ScenarioServices>? configure = null)
    {
        Registry = registry;
        Context = new RunContext(options) { Bindings = registry };
        Services = ScenarioServices.CreateRunScope();
        Services.Add(Context);
        Services.Add(registry);
        configure?.Invoke(Services);
        _listeners = listeners.ToList();
        _runner = new ScenarioRunner(registry, Services, Context, _listeners, pickle => _feature?.Uri == pickle.Uri
            ? _feature.Context
            : ReqnrollContexts.CreateFeatureContext(pickle));
    }

    public BindingRegistry Registry { get; }

    public RunContext Context { get; }

    public ScenarioServices Services { get; }

    public IReadOnlyList<ScenarioResult> Results => _results;

    public static TestRun Create(IEnumerable<Assembly> bindingAssemblies, RunOptions options, IEnumerable<IRunListener> listeners,
        Action<ScenarioServices>? configure = null) =>
        new(BindingRegistry.Build(bindingAssemblies), options, listeners, configure);

    public async Task StartAsync(IReadOnlyList<Pickle> pickles)
    {
        if (_started) return;
        _started = true;
        _start = DateTimeOffset.Now;
        _clock.Start();
        Directory.CreateDirectory(Context.Options.ResultsDirectory);
        // Evidence of an earlier run must never be mistaken for this run's.
        if (Directory.Exists(Context.ArtifactsDirectory)) Directory.Delete(Context.ArtifactsDirectory, recursive: true);
        foreach (var l in _listeners) l.RunStarted(Context, pickles);
        if (Context.Options.DryRun) return;
        foreach (var hook in Registry.HooksFor(HookKind.BeforeRun, null, []))
        {
            var result = await RunHookAsync(hook);
            if (result.Outcome != Outcome.Passed)
            {
                _runHooksFailed = true;
                break;
            }
        }
    }

    public async Task<ScenarioResult> RunAsync(Pickle pickle, CancellationToken cancellation = default)
    {
        if (!_started) await StartAsync([pickle]);
        if (!_runHooksFailed) await EnterFeatureAsync(pickle);
        ScenarioResult result;
        var failedHook = _runHooksFailed ? _runHooks.First(h => h.Outcome != Outcome.Passed) : _feature?.Failed;
        if (failedHook is not null)
        {
            result = new ScenarioResult(pickle, 0, failedHook.Outcome, DateTimeOffset.Now, TimeSpan.Zero, [], [], [], [],
                $"not run: {Describe(failedHook.Hook.Kind)} hook {StepDefinition.Describe(failedHook.Hook.Method)} failed: {failedHook.Error?.Message}",
                Context.ReplayCommand(pickle));
            foreach (var l in _listeners) l.ScenarioFinished(result);
        }
        else
        {
            result = await _runner.RunAsync(pickle, cancellation);
        }
        lock (_results) _results.Add(result);
        return result;
    }

    public async Task<RunResult> FinishAsync()
    {
        await LeaveFeatureAsync();
        if (!Context.Options.DryRun && _started)
            foreach (var hook in Registry.HooksFor(HookKind.AfterRun, null, []))
                await RunHookAsync(hook);
        try
        {
            await Services.DisposeAsync();
        }
        catch (Exception e)
        {
            _runHooks.Add(new HookResult(new HookDefinition(HookKind.AfterRun, ((Action)DisposeMarker).Method, Tags.TagExpression.Always, null, [], 0),
                ScenarioRunner.Classify(e), DateTimeOffset.Now, TimeSpan.Zero, e));
        }
        var result = new RunResult(_results.ToList(), _start, _clock.Elapsed, _runHooks.ToList());
        foreach (var l in _listeners) l.RunFinished(Context, result);
        return result;
    }

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();

    private static void DisposeMarker()
    {
    }

    /// <summary>
    /// Feature hooks run around each stretch of scenarios from one feature file, as in Reqnroll: the before hooks when
    /// the first arrives, the after hooks when a scenario of another feature (or the end of the run) does.
    /// </summary>
    private async Task EnterFeatureAsync(Pickle pickle)
    {
        if (_feature?.Uri == pickle.Uri) return;
        await LeaveFeatureAsync();
        _feature = new FeatureScope(pickle.Uri, pickle, ReqnrollContexts.CreateFeatureContext(pickle));
        if (Context.Options.DryRun) return;
        foreach (var hook in Registry.HooksFor(HookKind.BeforeFeature, null, pickle.FeatureTags))
        {
            var result = await RunHookAsync(hook, _feature.Context);
            if (result.Outcome == Outcome.Passed) continue;
            _feature.Failed = result;
            break;
        }
    }

    private async Task LeaveFeatureAsync()
    {
        if (_feature is not { } feature) return;
        _feature = null;
        if (!Context.Options.DryRun)
            foreach (var hook in Registry.HooksFor(HookKind.AfterFeature, null, feature.First.FeatureTags))
                await RunHookAsync(hook, feature.Context);
        ((IDisposable)feature.Context).Dispose();
    }

    private async Task<HookResult> RunHookAsync(HookDefinition hook, params object[] extra)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        HookResult result;
        try
        {
            await ScenarioRunner.InvokeHookAsync(hook, Services, null, extra);
            result = new HookResult(hook, Outcome.Passed, start, clock.Elapsed, null);
        }
        catch (Exception e)
        {
            // A run or feature hook prepares the rig for many scenarios: when it fails none of them can be trusted, so it is a rig fault.
            result = new HookResult(hook, Outcome.Broken, start, clock.Elapsed, e);
        }
        _runHooks.Add(result);
        return result;
    }

    private static string Describe(HookKind kind) => kind switch
    {
        HookKind.BeforeRun => "before-run",
        HookKind.BeforeFeature => "before-feature",
        _ => kind.ToString(),
    };

    private sealed class FeatureScope(string uri, Pickle first, FeatureContext context)
    {
        public string Uri { get; } = uri;
        public Pickle First { get; } = first;
        public FeatureContext Context { get; } = context;
        public HookResult? Failed { get; set; }
    }
}
