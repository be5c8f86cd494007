using System.Diagnostics;
using System.Reflection;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>
/// One run of many scenarios, shared by <c>hilrig run</c> and the NUnit bridge: before-run hooks, each
/// scenario, after-run hooks, then the listeners (reports) are told the run finished.
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

    public TestRun(BindingRegistry registry, RunOptions options, IEnumerable<IRunListener> listeners, Action<ScenarioServices>? configure = null)
    {
        Registry = registry;
        Context = new RunContext(options);
        Services = ScenarioServices.CreateRunScope();
        Services.Add(Context);
        Services.Add(registry);
        configure?.Invoke(Services);
        _listeners = listeners.ToList();
        _runner = new ScenarioRunner(registry, Services, Context, _listeners);
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
        foreach (var hook in Registry.HooksFor(HookKind.BeforeRun, []))
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
        ScenarioResult result;
        if (_runHooksFailed)
        {
            var hook = _runHooks.First(h => h.Outcome != Outcome.Passed);
            result = new ScenarioResult(pickle, 0, hook.Outcome, DateTimeOffset.Now, TimeSpan.Zero, [], [], [], [],
                $"not run: before-run hook {StepDefinition.Describe(hook.Hook.Method)} failed: {hook.Error?.Message}", Context.ReplayCommand(pickle));
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
        if (!Context.Options.DryRun && _started)
            foreach (var hook in Registry.HooksFor(HookKind.AfterRun, []))
                await RunHookAsync(hook);
        try
        {
            await Services.DisposeAsync();
        }
        catch (Exception e)
        {
            _runHooks.Add(new HookResult(new HookDefinition(HookKind.AfterRun, ((Action)DisposeMarker).Method, Tags.TagExpression.Always, null, 0),
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

    private async Task<HookResult> RunHookAsync(HookDefinition hook)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        HookResult result;
        try
        {
            await ScenarioRunner.InvokeHookAsync(hook, Services, null);
            result = new HookResult(hook, Outcome.Passed, start, clock.Elapsed, null);
        }
        catch (Exception e)
        {
            // A run hook prepares the rig for everyone: when it fails nothing can be trusted, so it is a rig fault.
            result = new HookResult(hook, Outcome.Broken, start, clock.Elapsed, e);
        }
        _runHooks.Add(result);
        return result;
    }
}
