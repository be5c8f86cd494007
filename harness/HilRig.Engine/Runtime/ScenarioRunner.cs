using System.Diagnostics;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using Reqnroll;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Runs one pickle: before-scenario hooks, each step with its before/after-step hooks, after-scenario hooks,
/// then disposes the scenario's context (which powers boards off). After the first step that does not
/// pass, the rest are only matched — reported undefined/ambiguous or skipped — never run. Bindings can ask for
/// Reqnroll's ScenarioContext, FeatureContext (from <paramref name="featureContext"/>, one per feature) and
/// IReqnrollOutputHelper besides our own context objects.
/// </summary>
public sealed class ScenarioRunner(BindingRegistry registry, ScenarioServices runServices, RunContext run, IReadOnlyList<IRunListener> listeners,
    Func<Pickle, FeatureContext>? featureContext = null)
{
    public async Task<ScenarioResult> RunAsync(Pickle pickle, CancellationToken cancellation = default)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var info = new ScenarioRun(pickle, run, cancellation);
        var output = new ScenarioOutput(info);
        var services = runServices.CreateScenarioScope();
        services.Add(info);
        services.Add(output);
        var scenarioContext = ReqnrollContexts.CreateScenarioContext(pickle);
        services.Add(scenarioContext, owned: true);
        services.Add<IScenarioContext>(scenarioContext);
        var feature = featureContext?.Invoke(pickle) ?? ReqnrollContexts.CreateFeatureContext(pickle);
        services.Add(feature);
        services.Add<IFeatureContext>(feature);
        services.Add<IReqnrollOutputHelper>(new ReqnrollOutputHelper(output));
        foreach (var l in listeners) l.ScenarioStarted(info, output);

        var steps = new List<StepResult>();
        var hooks = new List<HookResult>();
        var tags = pickle.Tags.ToHashSet();
        string? failure = null;
        var dryRun = run.Options.DryRun;
        var canRun = !dryRun;

        if (canRun)
        {
            foreach (var hook in registry.HooksFor(HookKind.BeforeScenario, pickle, tags))
            {
                var result = await RunHookAsync(hook, services, cancellation);
                hooks.Add(result);
                if (result.Outcome != Outcome.Passed)
                {
                    canRun = false;
                    failure ??= Describe(hook, result.Error!);
                    ReqnrollContexts.RecordOutcome(scenarioContext, result.Outcome, result.Error);
                    break;
                }
            }
        }

        foreach (var step in pickle.Steps)
        {
            var result = await RunStepAsync(pickle, step, services, tags, canRun, cancellation);
            steps.Add(result);
            foreach (var l in listeners) l.StepFinished(info, result);
            if (result.Outcome != Outcome.Passed)
            {
                if (canRun)
                {
                    failure ??= result.Message;
                    ReqnrollContexts.RecordOutcome(scenarioContext, result.Outcome, result.Error);
                }
                canRun = false;
            }
        }

        if (!dryRun)
        {
            foreach (var hook in registry.HooksFor(HookKind.AfterScenario, pickle, tags))
            {
                var result = await RunHookAsync(hook, services, CancellationToken.None);
                hooks.Add(result);
                if (result.Outcome != Outcome.Passed) failure ??= Describe(hook, result.Error!);
            }
        }

        var disposeOutcome = Outcome.Passed;
        Exception? cleanupError = null;
        try
        {
            await services.DisposeAsync();
        }
        catch (Exception e)
        {
            cleanupError = e;
            disposeOutcome = Classify(e);
            failure ??= $"cleaning up after the scenario failed: {e.GetType().Name}: {e.Message}";
        }

        var outcome = steps.Select(s => s.Outcome).Concat(hooks.Select(h => h.Outcome)).Append(disposeOutcome).Worst();
        if (dryRun && outcome == Outcome.Passed) outcome = Outcome.Skipped;
        var scenarioResult = new ScenarioResult(pickle, info.Seed, outcome, start, clock.Elapsed, steps, hooks,
            output.ScenarioAttachments, output.Lines, outcome is Outcome.Passed or Outcome.Skipped ? null : failure,
            run.ReplayCommand(pickle), cleanupError);
        foreach (var l in listeners) l.ScenarioFinished(scenarioResult);
        return scenarioResult;
    }

    private async Task<StepResult> RunStepAsync(
        Pickle pickle, PickleStep step, ScenarioServices services, HashSet<string> tags, bool canRun, CancellationToken cancellation)
    {
        var start = DateTimeOffset.Now;
        var matches = registry.Match(step, pickle, tags);
        var where = $"{pickle.Uri}:{step.Line}";
        if (matches.Count == 0)
        {
            var snippet = SnippetGenerator.For(step, registry.ParameterTypes);
            return new StepResult(step, Outcome.Undefined, start, TimeSpan.Zero, null,
                $"Undefined step at {where}: {step}\nYou can implement it with:\n\n{snippet}\n", null, [], snippet);
        }
        if (matches.Count > 1)
        {
            var candidates = matches.Select(m => m.Definition).ToList();
            return new StepResult(step, Outcome.Ambiguous, start, TimeSpan.Zero, null,
                $"Ambiguous step at {where}: {step}\nIt matches {candidates.Count} step definitions:\n" +
                string.Join("\n", candidates.Select(c => $"  \"{c.Expression.Source}\" → {c.MethodName}")), null, [], null, candidates);
        }
        var match = matches[0];
        if (!canRun) return new StepResult(step, Outcome.Skipped, start, TimeSpan.Zero, match.Definition, null, null, []);

        var output = services.Get<ScenarioOutput>();
        var attachments = new List<Attachment>();
        output.BeginStep(attachments);
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var hook in registry.HooksFor(HookKind.BeforeStep, pickle, tags))
                await InvokeHookAsync(hook, services, step);
            using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var invocation = StepInvoker.InvokeAsync(match, step, services, registry, abandon.Token);
            try
            {
                await invocation.WaitAsync(run.Options.StepTimeout, cancellation);
            }
            catch (TimeoutException) when (!invocation.IsCompleted)
            {
                // Tell the step to stop; whatever it does next, the scenario has moved on.
                abandon.Cancel();
                throw new TimeoutException($"the step did not finish within {run.Options.StepTimeout.TotalSeconds:0.#} s (step timeout)");
            }
            foreach (var hook in registry.HooksFor(HookKind.AfterStep, pickle, tags))
                await InvokeHookAsync(hook, services, step);
            return new StepResult(step, Outcome.Passed, start, clock.Elapsed, match.Definition, null, null, attachments);
        }
        catch (PendingStepException e)
        {
            return new StepResult(step, Outcome.Pending, start, clock.Elapsed, match.Definition,
                $"Pending step at {where}: {step} ({e.Message})", e, attachments);
        }
        catch (Exception e)
        {
            var message = $"Step failed at {where}: {step}\n  {e.GetType().Name}: {e.Message}";
            return new StepResult(step, Classify(e), start, clock.Elapsed, match.Definition, message, e, attachments);
        }
        finally
        {
            output.EndStep();
        }
    }

    private async Task<HookResult> RunHookAsync(HookDefinition hook, ScenarioServices services, CancellationToken cancellation)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        try
        {
            await InvokeHookAsync(hook, services, null).WaitAsync(run.Options.StepTimeout, cancellation);
            return new HookResult(hook, Outcome.Passed, start, clock.Elapsed, null);
        }
        catch (Exception e)
        {
            return new HookResult(hook, Classify(e), start, clock.Elapsed, e);
        }
    }

    /// <summary>
    /// Calls a hook; its parameters come from <paramref name="extra"/> (a feature hook's FeatureContext), the step (a
    /// <see cref="PickleStep"/> parameter, HilRig's addition for step hooks) or the scope's services.
    /// </summary>
    internal static Task InvokeHookAsync(HookDefinition hook, ScenarioServices services, PickleStep? step, params object[] extra)
    {
        var method = hook.Method;
        var args = method.GetParameters().Select(p =>
            extra.FirstOrDefault(p.ParameterType.IsInstanceOfType)
            ?? (p.ParameterType == typeof(PickleStep) ? step : p.ParameterType == typeof(CancellationToken) ? CancellationToken.None : services.Get(p.ParameterType))).ToArray();
        var target = method.IsStatic ? null : services.Get(method.DeclaringType!);
        return StepInvoker.InvokeMethodAsync(method, target, args);
    }

    private static string Describe(HookDefinition hook, Exception e) => $"{hook.Kind} hook {StepDefinition.Describe(hook.Method)} failed\n  {e.GetType().Name}: {e.Message}";

    /// <summary>Rig faults are infrastructure; everything else a step throws counts against the product.</summary>
    internal static Outcome Classify(Exception e) => e switch
    {
        RigFaultException => Outcome.Broken,
        AggregateException a when a.InnerExceptions.All(x => x is RigFaultException) => Outcome.Broken,
        _ => Outcome.Failed,
    };
}
