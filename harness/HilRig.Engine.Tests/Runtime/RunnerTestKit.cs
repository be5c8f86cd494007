using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using HilRig.Testing;

namespace HilRig.Engine.Tests.Runtime;

/// <summary>Runs feature text against chosen binding classes and returns the results.</summary>
internal static class RunnerTestKit
{
    public static async Task<IReadOnlyList<ScenarioResult>> RunAsync(string feature, Type[] bindings, bool dryRun = false, TimeSpan? stepTimeout = null,
        string? resultsDirectory = null, Func<string, IEnumerable<IRunListener>>? listeners = null, string? replayDirectory = null)
    {
        var pickles = FeaturePickles.Compile(FeatureParser.ParseText(feature, "kit.feature"));
        var options = new RunOptions
        {
            Seed = 7,
            ResultsDirectory = resultsDirectory ?? RepoPaths.NewTempDirectory("run"),
            DryRun = dryRun,
            StepTimeout = stepTimeout ?? TimeSpan.FromSeconds(30),
            ReplayDirectory = replayDirectory,
        };
        await using var run = new TestRun(BindingRegistry.Build(bindings), options, listeners?.Invoke(options.ResultsDirectory) ?? []);
        await run.StartAsync(pickles);
        foreach (var p in pickles) await run.RunAsync(p);
        await run.FinishAsync();
        return run.Results;
    }

    /// <summary>
    /// Runs feature text through the scheduler, as <c>hilrig run</c> does; <paramref name="whileRunning"/> gets the run
    /// once it has started and the source of its abandon token (to interrupt it, say) and runs beside the scenarios.
    /// </summary>
    public static async Task<RunResult> ScheduleAsync(string feature, Type[] bindings, ScheduleOptions schedule, Func<RunOptions, RunOptions>? options = null,
        Func<string, IEnumerable<IRunListener>>? listeners = null, Func<TestRun, CancellationTokenSource, Task>? whileRunning = null)
    {
        var pickles = FeaturePickles.Compile(FeatureParser.ParseText(feature, "kit.feature"));
        var runOptions = new RunOptions { Seed = 7, ResultsDirectory = RepoPaths.NewTempDirectory("run"), StepTimeout = TimeSpan.FromSeconds(30) };
        if (options is not null) runOptions = options(runOptions);
        await using var run = new TestRun(BindingRegistry.Build(bindings), runOptions, listeners?.Invoke(runOptions.ResultsDirectory) ?? []);
        using var abandon = new CancellationTokenSource();
        var scheduling = new ScenarioScheduler(run, schedule).RunAsync(pickles, abandon.Token);
        if (whileRunning is not null) await whileRunning(run, abandon);
        await scheduling;
        return await run.FinishAsync(abandon.Token);
    }
}
