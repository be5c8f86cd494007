using HilRig.Engine.Gherkin;
using HilRig.Rig.Model;
using HilRig.Engine.Runtime;
using HilRig.Steps.Hosting;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Scenarios;

/// <summary>
/// The NUnit bridge: every pickle of every feature under scenarios/ is one NUnit test, named after the scenario
/// (outline rows carry their example values), with the scenario's tags as categories. They run on the same
/// engine as <c>hilrig run</c>, with the rig in rig.yaml (or $HILRIG_RIG) and the seed in $HILRIG_SEED if set;
/// Allure results and JUnit XML go to reports/nunit/.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FeatureTests
{
    private static TestRun? _run;
    private static RigDefinition? _rig;

    public static IEnumerable<TestCaseData> Scenarios()
    {
        var directory = Path.Combine(RepositoryRoot(), "scenarios");
        FeatureSet? set = null;
        string? error = null;
        try
        {
            set = FeatureSet.Load([Path.GetRelativePath(Environment.CurrentDirectory, directory)]);
        }
        catch (FeatureParseException e)
        {
            error = e.Message;
        }
        if (set is null)
        {
            // A feature that does not parse is one failing test that says why, not a silently smaller suite.
            yield return new TestCaseData(null, error).SetName("feature files parse");
            yield break;
        }
        foreach (var pickle in set.Pickles)
        {
            var data = new TestCaseData(pickle, null).SetName(pickle.DisplayName).SetDescription(pickle.Location);
            foreach (var tag in pickle.Tags) data.SetCategory(tag.TrimStart('@'));
            yield return data;
        }
    }

    [OneTimeSetUp]
    public static async Task StartRun()
    {
        var root = RepositoryRoot();
        var rigFile = ScenarioHost.DefaultRigFile();
        var seed = int.TryParse(Environment.GetEnvironmentVariable("HILRIG_SEED"), out var s) ? s : RunOptions.NewSeed();
        var results = Path.Combine(root, "reports", "nunit");
        RigDefinition rig = ScenarioHost.LoadRig(rigFile);
        _rig = rig;
        var options = new RunOptions { Seed = seed, ResultsDirectory = results, RigFile = rigFile, RigIsDefault = Environment.GetEnvironmentVariable("HILRIG_RIG") is null, ReplayDirectory = root };
        _run = ScenarioHost.CreateRun(options, rig, ScenarioHost.ReportWriters(results, rig));
        await _run.StartAsync([]);
        TestContext.Progress.WriteLine($"hilrig scenarios: seed {seed}, rig {rigFile}, results {results}");
    }

    [OneTimeTearDown]
    public static async Task FinishRun()
    {
        if (_run is null) return;
        await _run.FinishAsync();
        await _run.DisposeAsync();
        _run = null;
    }

    [TestCaseSource(nameof(Scenarios))]
    public async Task Scenario(Pickle? pickle, string? loadError)
    {
        if (pickle is null)
        {
            Assert.Fail(loadError ?? "no scenario");
            return;
        }
        // SimNet puts boards and the cloud in network namespaces: without root every scenario on it is a rig fault.
        // Locally that skips with the reason; under CI (which runs as root) it fails.
        if (_rig?.Network.Type == "simnet")
            RequiredTool.RequireRoot($"{pickle.Location} runs on SimNet ({_rig.SourcePath}): boards and the cloud live in network namespaces");
        var result = await _run!.RunAsync(pickle);
        foreach (var step in result.Steps)
            TestContext.Out.WriteLine($"{step.Outcome.Symbol()} {step.Step} [{step.Duration.TotalMilliseconds:0} ms]{(step.Definition is null ? "" : "  → " + step.Definition.MethodName)}");
        foreach (var line in result.Log) TestContext.Out.WriteLine(line);
        foreach (var attachment in result.Steps.SelectMany(s => s.Attachments).Concat(result.Attachments))
            TestContext.AddTestAttachment(attachment.FilePath, attachment.Name);
        TestContext.Out.WriteLine($"replay: {result.ReplayCommand}");
        switch (result.Outcome)
        {
            case Outcome.Passed:
                return;
            case Outcome.Skipped:
                Assert.Ignore("skipped");
                return;
            default:
                Assert.Fail($"{result.Outcome.Word()}: {result.FailureMessage}\nreplay: {result.ReplayCommand}");
                return;
        }
    }

    private static string RepositoryRoot() =>
        Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? throw new InvalidOperationException("not inside the HilRig repository");
}
