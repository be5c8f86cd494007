using System.Globalization;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using Spectre.Console;

namespace HilRig.Cli.Output;

/// <summary>
/// The one-screen view of a run: a line per scenario as it finishes (in the order they finish, when several run side
/// by side), the failure and its replay line right under a failed one, a note when a failed attempt is retried,
/// snippets for undefined steps, and at the end a summary with every failed and flaky scenario and its replay line.
/// On a terminal a live status line says what runs; in a log (CI) a progress line does so at least every 10 s.
/// </summary>
public sealed class ConsoleReporter(string resultsDirectory) : IRunListener, IDisposable
{
    /// <summary>How often a non-interactive run says what is running (CI logs: at least every 10 s).</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(8);

    private readonly object _gate = new();
    private readonly List<string> _snippets = new();
    private readonly Dictionary<ScenarioRun, (DateTimeOffset Since, string? Step)> _running = new();
    private readonly HashSet<string> _printed = new();
    private StatusContext? _status;
    private Timer? _progress;
    private int _total;
    private int _done;

    /// <summary>Set by the run command while a Spectre status spinner is live.</summary>
    public StatusContext? Status
    {
        set
        {
            lock (_gate) _status = value;
        }
    }

    /// <summary>A line for the header under the run line (workers, shard, retries), printed when the run starts.</summary>
    public string? Plan { get; init; }

    public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles)
    {
        _total = pickles.Count;
        var rig = run.Options.RigFile is null ? "" : $" · rig {run.Options.RigFile}";
        var mode = run.Options.DryRun ? " · dry run" : "";
        Terminal.Line($"hilrig run {run.RunId} · seed {run.Seed}{rig}{mode} · {pickles.Count} scenario(s)",
            $"[bold]hilrig run[/] {run.RunId} · seed [bold]{run.Seed}[/]{Terminal.Escape(rig)}{mode} · {pickles.Count} scenario(s)");
        if (Plan is { Length: > 0 } plan) Terminal.Line(plan, $"[grey]{Terminal.Escape(plan)}[/]");
        if (!Terminal.Interactive) _progress = new Timer(_ => PrintProgress(), null, ProgressInterval, ProgressInterval);
    }

    public void ScenarioStarted(ScenarioRun scenario, ScenarioOutput output)
    {
        lock (_gate)
        {
            _running[scenario] = (DateTimeOffset.Now, null);
            UpdateStatus();
        }
    }

    public void StepFinished(ScenarioRun scenario, StepResult step)
    {
        lock (_gate)
        {
            if (_running.ContainsKey(scenario)) _running[scenario] = (_running[scenario].Since, step.Step.ToString());
            if (step.Snippet is not null) _snippets.Add(step.Snippet);
            UpdateStatus();
        }
    }

    public void ScenarioAttemptFinished(ScenarioResult attempt, bool willRetry)
    {
        lock (_gate)
        {
            foreach (var running in _running.Keys.Where(r => ReferenceEquals(r.Pickle, attempt.Pickle) && r.Attempt == attempt.Attempt).ToList())
                _running.Remove(running);
            if (!willRetry) _done++;
            UpdateStatus();
            if (willRetry)
            {
                Terminal.Line($"↻ {attempt.Pickle.DisplayName}  {attempt.Pickle.Location}  {Time(attempt)}  attempt {attempt.Attempt} {attempt.Outcome.Word()}, retrying",
                    $"[yellow]↻[/] {Terminal.Escape(attempt.Pickle.DisplayName)}  [grey]{Terminal.Escape(attempt.Pickle.Location)}  {Time(attempt)}[/]  " +
                    $"[yellow]attempt {attempt.Attempt} {attempt.Outcome.Word()}, retrying[/]");
                Details(attempt, "yellow", replay: false);
                return;
            }
            _printed.Add(attempt.Pickle.Location);
            Print(attempt);
        }
    }

    public void ScenarioFinished(ScenarioResult result)
    {
        lock (_gate)
        {
            // A scenario whose worker failed around it never reported an attempt: it is not running any more either.
            foreach (var running in _running.Keys.Where(r => ReferenceEquals(r.Pickle, result.Pickle)).ToList()) _running.Remove(running);
            // Scenarios that never ran (an interrupted run, --fail-fast, a failed feature hook) get their line here.
            if (!_printed.Add(result.Pickle.Location)) return;
            Print(result);
        }
    }

    private static void Print(ScenarioResult attempt)
    {
        var color = Color(attempt.Outcome);
        var note = attempt.Attempt > 1 ? attempt.Outcome == Outcome.Passed ? $"  flaky: passed on attempt {attempt.Attempt}" : $"  after {attempt.Attempt} attempts" : "";
        var symbol = attempt.Outcome == Outcome.Passed && attempt.Attempt > 1 ? "~" : attempt.Outcome.Symbol();
        Terminal.Line($"{symbol} {attempt.Pickle.DisplayName}  {attempt.Pickle.Location}  {Time(attempt)}{note}",
            $"[{(symbol == "~" ? "yellow" : color)}]{Terminal.Escape(symbol)}[/] {Terminal.Escape(attempt.Pickle.DisplayName)}  " +
            $"[grey]{Terminal.Escape(attempt.Pickle.Location)}  {Time(attempt)}[/][yellow]{Terminal.Escape(note)}[/]");
        if (attempt.Outcome == Outcome.Passed) return;
        if (attempt.Outcome == Outcome.Skipped)
        {
            if (attempt.FailureMessage is { } reason) Terminal.Line($"    {reason.Split('\n')[0]}", $"    [grey]{Terminal.Escape(reason.Split('\n')[0])}[/]");
            return;
        }
        Details(attempt, color, replay: true);
    }

    private static void Details(ScenarioResult result, string color, bool replay)
    {
        foreach (var line in (result.FailureMessage ?? result.Outcome.Word()).Split('\n').Where(l => !l.StartsWith("You can implement") && l.Length > 0).Take(25))
            Terminal.Line("    " + line, $"    [{color}]{Terminal.Escape(line)}[/]");
        if (replay) Terminal.Line($"    replay: {result.ReplayCommand}", $"    [bold]replay:[/] {Terminal.Escape(result.ReplayCommand)}");
    }

    private static string Color(Outcome outcome) => outcome switch
    {
        Outcome.Passed => "green",
        Outcome.Skipped => "grey",
        Outcome.Pending or Outcome.Undefined => "yellow",
        _ => "red",
    };

    private static string Time(ScenarioResult result) => $"({result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)";

    private void UpdateStatus()
    {
        if (_status is null) return;
        var running = _running.OrderBy(r => r.Value.Since).ToList();
        var first = running.FirstOrDefault();
        var text = running.Count switch
        {
            0 => $"[{_done}/{_total}]",
            1 => $"[{_done}/{_total}] {first.Key.Name}{(first.Value.Step is { } s ? " · " + s : "")}",
            _ => $"[{_done}/{_total}] {running.Count} running: {string.Join(" · ", running.Select(r => r.Key.Name))}",
        };
        _status.Status(Terminal.Escape(text.Length > 160 ? text[..157] + "…" : text));
    }

    /// <summary>The CI-log heartbeat: how far the run is and what each running scenario is doing, for how long.</summary>
    private void PrintProgress()
    {
        lock (_gate)
        {
            if (_running.Count == 0) return;
            var now = DateTimeOffset.Now;
            var running = _running.OrderBy(r => r.Value.Since).Select(r =>
                $"{r.Key.Pickle.Location} {r.Key.Name} ({(now - r.Value.Since).TotalSeconds:0} s{(r.Value.Step is { } s ? ", after: " + s : "")})");
            Terminal.Line($"… {_done}/{_total} done; running: {string.Join("; ", running)}");
        }
    }

    public void RunFinished(RunContext run, RunResult result)
    {
        _progress?.Dispose();
        _progress = null;
        Console.Out.WriteLine();
        if (_snippets.Count > 0)
        {
            Terminal.Line("You can implement the undefined steps with these snippets (in a [Binding] class of harness/HilRig.Steps):");
            foreach (var snippet in _snippets.Distinct()) Console.Out.WriteLine("\n" + snippet);
            Console.Out.WriteLine();
        }
        var failed = result.Scenarios.Where(s => s.Outcome.FailsTheRun()).ToList();
        if (failed.Count > 0)
        {
            Terminal.Line($"Failed scenarios ({failed.Count}):", "[bold red]Failed scenarios[/] (" + failed.Count + "):");
            foreach (var s in failed)
            {
                Terminal.Line($"  {s.Outcome.Symbol()} {s.Pickle.DisplayName}  {s.Pickle.Location}  ({s.Outcome.Word()})",
                    $"  [{Color(s.Outcome)}]{s.Outcome.Symbol()}[/] {Terminal.Escape(s.Pickle.DisplayName)}  [grey]{Terminal.Escape(s.Pickle.Location)}  ({s.Outcome.Word()})[/]");
                Terminal.Line($"    replay: {s.ReplayCommand}", $"    [bold]replay:[/] {Terminal.Escape(s.ReplayCommand)}");
            }
        }
        var flaky = result.Scenarios.Where(s => s.Flaky).ToList();
        if (flaky.Count > 0)
        {
            Terminal.Line($"Flaky scenarios ({flaky.Count}, passed on a retry):", $"[bold yellow]Flaky scenarios[/] ({flaky.Count}, passed on a retry):");
            foreach (var s in flaky)
                Terminal.Line($"  ~ {s.Pickle.DisplayName}  {s.Pickle.Location}  passed on attempt {s.Attempt}; replay: {s.ReplayCommand}");
        }
        Terminal.Line($"{result.Scenarios.Count} scenario(s): {Count(result.Scenarios)}");
        Terminal.Line($"{result.Scenarios.Sum(s => s.Steps.Count)} step(s): {Count(result.Scenarios.SelectMany(s => s.Steps).Select(s => s.Outcome))}");
        foreach (var hook in result.RunHooks.Where(h => h.Outcome != Outcome.Passed))
            Terminal.Line($"run hook {hook.Hook.Method.Name} failed: {hook.Error?.Message}");
        foreach (var error in result.HarnessErrors) Terminal.Line(error);
        if (result.Interruption is { } interruption)
            Terminal.Line($"{interruption}: {result.Scenarios.Count(s => s.Outcome == Outcome.Skipped && s.FailureMessage is not null)} scenario(s) stopped or not run");
        Terminal.Line($"report: {Path.Combine(resultsDirectory, "cucumber-report.html")} · {Path.Combine(resultsDirectory, "allure-results")} · " +
                      $"{Path.Combine(resultsDirectory, "junit.xml")} · {Path.Combine(resultsDirectory, "cucumber-messages.ndjson")} · artifacts in {run.ArtifactsDirectory}");
        Terminal.Line($"{result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    private static string Count(IReadOnlyList<ScenarioResult> scenarios)
    {
        var groups = scenarios.GroupBy(s => s.Flaky ? "flaky" : s.Outcome.Word()).OrderBy(g => g.Key == "flaky" ? 0.5 : (int)g.First().Outcome)
            .Select(g => $"{g.Count()} {g.Key}").ToList();
        return groups.Count == 0 ? "none" : string.Join(", ", groups);
    }

    private static string Count(IEnumerable<Outcome> outcomes)
    {
        var groups = outcomes.GroupBy(o => o).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.Word()}").ToList();
        return groups.Count == 0 ? "none" : string.Join(", ", groups);
    }

    public void Dispose() => _progress?.Dispose();
}
