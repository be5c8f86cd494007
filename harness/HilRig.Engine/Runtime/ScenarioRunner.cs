using System.Diagnostics;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using Reqnroll;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Runs one attempt of one pickle: before-scenario hooks, each step with its before/after-step hooks, after-scenario
/// hooks, then disposes the scenario's context (which powers boards off). After the first step that does not pass, the
/// rest are only matched — reported undefined/ambiguous or skipped — never run. Steps and hooks run through
/// <see cref="BoundedCall"/>: the step timeout holds for synchronous code too, and a step that timed out or was
/// interrupted has stopped (or had its grace) before teardown starts. Bindings can ask for Reqnroll's ScenarioContext,
/// FeatureContext (one per feature, from the caller) and IReqnrollOutputHelper besides our own context objects.
/// </summary>
public sealed class ScenarioRunner(BindingRegistry registry, ScenarioServices runServices, RunContext run, RunListeners listeners)
{
    /// <param name="interrupt">Cancelled when the run is interrupted: the running step is told to stop, the rest is
    /// skipped, teardown still runs, and a scenario that had not failed by then is skipped with the reason.</param>
    public async Task<ScenarioResult> RunAsync(Pickle pickle, FeatureContext feature, int attempt = 1, CancellationToken interrupt = default)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var info = new ScenarioRun(pickle, run, interrupt, attempt);
        var output = new ScenarioOutput(info);
        var services = runServices.CreateScenarioScope();
        services.Add(info);
        services.Add(output);
        var scenarioContext = ReqnrollContexts.CreateScenarioContext(pickle);
        services.Add(scenarioContext, owned: true);
        services.Add<IScenarioContext>(scenarioContext);
        services.Add(feature);
        services.Add<IFeatureContext>(feature);
        services.Add<IReqnrollOutputHelper>(new ReqnrollOutputHelper(output));
        listeners.ScenarioStarted(info, output);

        var scenario = new Attempt(pickle, services, scenarioContext, pickle.Tags.ToHashSet(), interrupt);
        var dryRun = run.Options.DryRun;
        scenario.CanRun = !dryRun;

        if (scenario.CanRun)
        {
            foreach (var hook in registry.HooksFor(HookKind.BeforeScenario, pickle, scenario.Tags))
            {
                var result = await RunHookAsync(hook, services, interrupt);
                scenario.Hooks.Add(result);
                if (result.Outcome == Outcome.Passed) continue;
                if (result.Outcome == Outcome.Skipped) scenario.InterruptedAt ??= $"in the before-scenario hook {StepDefinition.Describe(hook.Method)}";
                scenario.Stop(result.Outcome, result.Error, result.Error is null ? null : Describe(hook, result.Error));
                break;
            }
        }

        foreach (var step in pickle.Steps)
        {
            var result = await RunStepAsync(step, scenario);
            scenario.Steps.Add(result);
            listeners.StepFinished(info, result);
        }

        if (!dryRun)
        {
            foreach (var hook in registry.HooksFor(HookKind.AfterScenario, pickle, scenario.Tags))
            {
                // Teardown runs even when the run is being interrupted: it is what the grace period is for.
                var result = await RunHookAsync(hook, services, CancellationToken.None);
                scenario.Hooks.Add(result);
                if (result.Outcome != Outcome.Passed) scenario.Failure ??= Describe(hook, result.Error!);
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
            scenario.Failure ??= $"cleaning up after the scenario failed: {e.GetType().Name}: {e.Message}";
        }

        var outcome = scenario.Steps.Select(s => s.Outcome).Concat(scenario.Hooks.Select(h => h.Outcome)).Append(disposeOutcome).Worst();
        if (dryRun && outcome == Outcome.Passed) outcome = Outcome.Skipped;
        var message = outcome is Outcome.Passed or Outcome.Skipped ? null : scenario.Failure;
        if (scenario.InterruptedAt is { } at && outcome is Outcome.Passed or Outcome.Skipped)
        {
            outcome = Outcome.Skipped;
            message = $"{run.InterruptReason ?? "the run was interrupted"} {at}; the scenario was stopped and torn down";
        }
        return new ScenarioResult(pickle, info.Seed, outcome, start, clock.Elapsed, scenario.Steps, scenario.Hooks,
            output.ScenarioAttachments, output.Lines, message, run.ReplayCommand(pickle), cleanupError) { Attempt = attempt };
    }

    /// <summary>What one attempt has done so far.</summary>
    private sealed class Attempt(Pickle pickle, ScenarioServices services, ScenarioContext context, HashSet<string> tags, CancellationToken interrupt)
    {
        public Pickle Pickle { get; } = pickle;
        public ScenarioServices Services { get; } = services;
        public ScenarioContext Context { get; } = context;
        public HashSet<string> Tags { get; } = tags;
        public CancellationToken Interrupt { get; } = interrupt;
        public List<StepResult> Steps { get; } = new();
        public List<HookResult> Hooks { get; } = new();
        public bool CanRun { get; set; }
        public string? Failure { get; set; }

        /// <summary>Where the interrupt caught the scenario ("during step …", "before step …"), once it did.</summary>
        public string? InterruptedAt { get; set; }

        /// <summary>The first thing that did not pass: later steps are skipped, after hooks see the error.</summary>
        public void Stop(Outcome outcome, Exception? error, string? message)
        {
            if (CanRun)
            {
                Failure ??= message;
                ReqnrollContexts.RecordOutcome(Context, outcome, error);
            }
            CanRun = false;
        }
    }

    private async Task<StepResult> RunStepAsync(PickleStep step, Attempt scenario)
    {
        var pickle = scenario.Pickle;
        var start = DateTimeOffset.Now;
        var matches = registry.Match(step, pickle, scenario.Tags);
        var where = run.Location(pickle, step.Line);
        StepResult result;
        if (matches.Count == 0)
        {
            var snippet = SnippetGenerator.For(step, registry.ParameterTypes);
            result = new StepResult(step, Outcome.Undefined, start, TimeSpan.Zero, null,
                $"Undefined step at {where}: {step}\nYou can implement it with:\n\n{snippet}\n", null, [], snippet);
        }
        else if (matches.Count > 1)
        {
            var candidates = matches.Select(m => m.Definition).ToList();
            result = new StepResult(step, Outcome.Ambiguous, start, TimeSpan.Zero, null,
                $"Ambiguous step at {where}: {step}\nIt matches {candidates.Count} step definitions:\n" +
                string.Join("\n", candidates.Select(c => $"  \"{c.Expression.Source}\" → {c.MethodName}")), null, [], null, candidates);
        }
        else if (!scenario.CanRun || scenario.Interrupt.IsCancellationRequested)
        {
            if (scenario.CanRun) scenario.InterruptedAt ??= $"before step {where}: {step}";
            scenario.CanRun = false;
            return new StepResult(step, Outcome.Skipped, start, TimeSpan.Zero, matches[0].Definition, null, null, []);
        }
        else
        {
            result = await InvokeStepAsync(matches[0], step, where, start, scenario);
        }
        if (result.Outcome != Outcome.Passed) scenario.Stop(result.Outcome, result.Error, result.Message);
        return result;
    }

    private async Task<StepResult> InvokeStepAsync(StepMatch match, PickleStep step, string where, DateTimeOffset start, Attempt scenario)
    {
        var services = scenario.Services;
        var output = services.Get<ScenarioOutput>();
        var attachments = new List<Attachment>();
        output.BeginStep(attachments);
        var clock = Stopwatch.StartNew();
        try
        {
            foreach (var hook in registry.HooksFor(HookKind.BeforeStep, scenario.Pickle, scenario.Tags))
            {
                var before = await CallAsync(_ => InvokeHookAsync(hook, services, step), scenario.Interrupt);
                if (before.Completed && before.Error is null) continue;
                return Ended(before, $"the before-step hook {StepDefinition.Describe(hook.Method)} of {step}", hookError: true);
            }
            var ending = await CallAsync(token => StepInvoker.InvokeAsync(match, step, services, registry, token), scenario.Interrupt);
            var result = Ended(ending, null, hookError: false);
            // After-step hooks run after every step that ran, passed or not (as in Reqnroll); they see the step's error.
            if (result.Outcome != Outcome.Passed && !ending.Interrupted) ReqnrollContexts.RecordOutcome(scenario.Context, result.Outcome, result.Error);
            foreach (var hook in registry.HooksFor(HookKind.AfterStep, scenario.Pickle, scenario.Tags))
            {
                var after = await CallAsync(_ => InvokeHookAsync(hook, services, step), CancellationToken.None);
                if (after.Error is null && !after.TimedOut) continue;
                var hookResult = Ended(after, $"the after-step hook {StepDefinition.Describe(hook.Method)} of {step}", hookError: true);
                result = result.Outcome == Outcome.Passed
                    ? hookResult
                    : result with { Message = $"{result.Message}\n  and then {hookResult.Message?.Split('\n').Last().Trim()}" };
            }
            return result;
        }
        finally
        {
            output.EndStep();
        }

        StepResult Ended(BoundedCall.Ending ending, string? hook, bool hookError)
        {
            var what = hook is null ? $"{where}: {step}" : $"{where}: {hook}";
            if (ending.Interrupted)
            {
                scenario.InterruptedAt ??= $"during step {where}: {step}";
                return new StepResult(step, Outcome.Skipped, start, clock.Elapsed, match.Definition,
                    $"Interrupted at {what}{StillRunning(ending)}", null, attachments);
            }
            if (ending.TimedOut)
            {
                var timeout = new TimeoutException(
                    $"the {(hook is null ? "step" : "hook")} did not finish within {run.Options.StepTimeout.TotalSeconds:0.#} s (step timeout){StillRunning(ending)}");
                return new StepResult(step, Outcome.Failed, start, clock.Elapsed, match.Definition,
                    $"Step failed at {what}\n  {timeout.GetType().Name}: {timeout.Message}", timeout, attachments);
            }
            return ending.Error switch
            {
                null => new StepResult(step, Outcome.Passed, start, clock.Elapsed, match.Definition, null, null, attachments),
                PendingStepException e when !hookError => new StepResult(step, Outcome.Pending, start, clock.Elapsed, match.Definition,
                    $"Pending step at {where}: {step} ({e.Message})", e, attachments),
                var e => new StepResult(step, Classify(e), start, clock.Elapsed, match.Definition,
                    $"Step failed at {what}\n  {e.GetType().Name}: {e.Message}", e, attachments),
            };
        }
    }

    private string StillRunning(BoundedCall.Ending ending) => ending.StillRunning
        ? $"; it was still running {run.Options.StepStopGrace.TotalSeconds:0.#} s after it was told to stop, so teardown went ahead without it " +
          "(a step should pass its CancellationToken on)"
        : "";

    private Task<BoundedCall.Ending> CallAsync(Func<CancellationToken, Task> call, CancellationToken interrupt) =>
        BoundedCall.RunAsync(call, run.Options.StepTimeout, run.Options.StepStopGrace, interrupt);

    private async Task<HookResult> RunHookAsync(HookDefinition hook, ScenarioServices services, CancellationToken interrupt)
    {
        var start = DateTimeOffset.Now;
        var clock = Stopwatch.StartNew();
        var ending = await CallAsync(_ => InvokeHookAsync(hook, services, null), interrupt);
        if (ending.Interrupted) return new HookResult(hook, Outcome.Skipped, start, clock.Elapsed, null);
        if (ending.TimedOut)
            return new HookResult(hook, Outcome.Failed, start, clock.Elapsed,
                new TimeoutException($"the hook did not finish within {run.Options.StepTimeout.TotalSeconds:0.#} s (step timeout){StillRunning(ending)}"));
        return new HookResult(hook, ending.Error is null ? Outcome.Passed : Classify(ending.Error), start, clock.Elapsed, ending.Error);
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

    /// <summary>
    /// Rig faults are infrastructure; test defects (a binding or argument that cannot work, a board the rig does not have)
    /// are the scenario's; everything else a step throws counts against the product. A binding class whose constructor
    /// failed is judged by what it threw.
    /// </summary>
    public static Outcome Classify(Exception e) => e switch
    {
        RigFaultException => Outcome.Broken,
        StepBindingException { InnerException: { } inner } when inner is RigFaultException or TestDefectException or AggregateException => Classify(inner),
        StepBindingException or TestDefectException => Outcome.TestDefect,
        AggregateException a when a.InnerExceptions.Count > 0 => a.InnerExceptions.Select(Classify).Worst(),
        _ => Outcome.Failed,
    };
}
