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
}
