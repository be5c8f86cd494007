using System.Globalization;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using Spectre.Console;

namespace HilRig.Cli.Output;

/// <summary>
/// The one-screen view of a run: a line per scenario as it finishes, the failure and its replay line right
/// under a failed one, snippets for undefined steps, and a summary at the end.
/// </summary>
public sealed class ConsoleReporter(string resultsDirectory) : IRunListener
{
    private readonly List<string> _snippets = new();
    private StatusContext? _status;
    private int _total;
    private int _done;

    /// <summary>Set by the run command while a Spectre status spinner is live.</summary>
    public StatusContext? Status
    {
        set => _status = value;
    }

    public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles)
    {
        _total = pickles.Count;
        var rig = run.Options.RigFile is null ? "" : $" · rig {run.Options.RigFile}";
        var mode = run.Options.DryRun ? " · dry run" : "";
        Terminal.Line($"hilrig run {run.RunId} · seed {run.Seed}{rig}{mode} · {pickles.Count} scenario(s)",
            $"[bold]hilrig run[/] {run.RunId} · seed [bold]{run.Seed}[/]{Terminal.Escape(rig)}{mode} · {pickles.Count} scenario(s)");
    }

    public void ScenarioStarted(ScenarioRun scenario, ScenarioOutput output)
    {
        _status?.Status(Terminal.Escape($"[{_done + 1}/{_total}] {scenario.Name}"));
    }

    public void StepFinished(ScenarioRun scenario, StepResult step)
    {
        _status?.Status(Terminal.Escape($"[{_done + 1}/{_total}] {scenario.Name} · {step.Step}"));
        if (step.Snippet is not null) _snippets.Add(step.Snippet);
    }

    public void ScenarioFinished(ScenarioResult result)
    {
        _done++;
        var time = $"({result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)";
        var color = result.Outcome switch
        {
            Outcome.Passed => "green",
            Outcome.Skipped => "grey",
            Outcome.Pending or Outcome.Undefined => "yellow",
            _ => "red",
        };
        Terminal.Line($"{result.Outcome.Symbol()} {result.Pickle.DisplayName}  {result.Pickle.Location}  {time}",
            $"[{color}]{result.Outcome.Symbol()}[/] {Terminal.Escape(result.Pickle.DisplayName)}  [grey]{Terminal.Escape(result.Pickle.Location)}  {time}[/]");
        if (result.Outcome is Outcome.Passed or Outcome.Skipped) return;
        foreach (var line in (result.FailureMessage ?? result.Outcome.Word()).Split('\n').Where(l => !l.StartsWith("You can implement") && l.Length > 0).Take(25))
            Terminal.Line("    " + line, $"    [{color}]{Terminal.Escape(line)}[/]");
        Terminal.Line($"    replay: {result.ReplayCommand}", $"    [bold]replay:[/] {Terminal.Escape(result.ReplayCommand)}");
    }

    public void RunFinished(RunContext run, RunResult result)
    {
        Console.Out.WriteLine();
        if (_snippets.Count > 0)
        {
            Terminal.Line("You can implement the undefined steps with these snippets (in a [Binding] class of harness/HilRig.Steps):");
            foreach (var snippet in _snippets.Distinct()) Console.Out.WriteLine("\n" + snippet);
            Console.Out.WriteLine();
        }
        var scenarios = Count(result.Scenarios.Select(s => s.Outcome));
        var steps = Count(result.Scenarios.SelectMany(s => s.Steps).Select(s => s.Outcome));
        Terminal.Line($"{result.Scenarios.Count} scenario(s): {scenarios}");
        Terminal.Line($"{result.Scenarios.Sum(s => s.Steps.Count)} step(s): {steps}");
        foreach (var hook in result.RunHooks.Where(h => h.Outcome != Outcome.Passed))
            Terminal.Line($"run hook {hook.Hook.Method.Name} failed: {hook.Error?.Message}");
        Terminal.Line($"report: {Path.Combine(resultsDirectory, "cucumber-report.html")} · {Path.Combine(resultsDirectory, "allure-results")} · " +
                      $"{Path.Combine(resultsDirectory, "junit.xml")} · {Path.Combine(resultsDirectory, "cucumber-messages.ndjson")} · artifacts in {run.ArtifactsDirectory}");
        Terminal.Line($"{result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    private static string Count(IEnumerable<Outcome> outcomes)
    {
        var groups = outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.Word()}").ToList();
        return groups.Count == 0 ? "none" : string.Join(", ", groups);
    }
}
