using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using Reqnroll;

namespace HilRig.Steps.Boards;

/// <summary>Running shell commands on boards and checking what they printed and how they exited.</summary>
[Binding]
public sealed class ShellSteps(LastCommand last, ScenarioOutput output)
{
    [When("I run {string} on board {board}")]
    [StepSummary("runs a shell command and keeps its output and exit code")]
    public async Task Run(string command, Board board, CancellationToken cancellation)
    {
        // The rig file's shell.command_timeout, not a fixed minute: a slow bench and a fast simulator differ.
        var result = await board.Shell.RunAsync(command, board.Shell.CommandTimeout, cancellation);
        last.Result = result;
        last.Board = board.Name;
        output.WriteLine($"{board.Name}$ {command}\n{result.Output}\n(exit {result.ExitCode})");
    }

    [Then("the command succeeds")]
    [StepSummary("the last command exited with 0")]
    public void Succeeds() => ExitsWith(0);

    [Then("the command fails")]
    [StepSummary("the last command exited with anything but 0")]
    public void Fails()
    {
        if (last.Result.ExitCode == 0) throw Mismatch("to fail, but it exited with 0");
    }

    [Then("the command exits with code {int}")]
    [StepSummary("the last command's exit code")]
    public void ExitsWith(int code)
    {
        if (last.Result.ExitCode != code) throw Mismatch($"to exit with {code}, but it exited with {last.Result.ExitCode}");
    }

    [Then("the command output contains {string}")]
    [StepSummary("the last command printed this text")]
    public void OutputContains(string text)
    {
        if (!last.Result.Output.Contains(text, StringComparison.Ordinal)) throw Mismatch($"to print \"{text}\"");
    }

    [Then("the command output does not contain {string}")]
    [StepSummary("the last command did not print this text")]
    public void OutputLacks(string text)
    {
        if (last.Result.Output.Contains(text, StringComparison.Ordinal)) throw Mismatch($"not to print \"{text}\"");
    }

    [Then("the command output is:")]
    [StepSummary("the last command printed exactly the doc string")]
    public void OutputIs(DocString expected)
    {
        if (last.Result.Output.TrimEnd() != expected.Content.TrimEnd()) throw Mismatch($"to print exactly:\n{expected.Content}");
    }

    [Then("the status of board {board} shows:")]
    [StepSummary("runs `status` and compares the key/value table with its `key: value` lines")]
    public async Task StatusShows(Board board, DataTable expected, CancellationToken cancellation)
    {
        var result = await board.Shell.RunAsync("status", board.Shell.CommandTimeout, cancellation);
        var actual = result.Lines
            .Select(l => l.Split(':', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        var wrong = expected.ToKeyValues()
            .Where(kv => !actual.TryGetValue(kv.Key, out var v) || v != kv.Value)
            .Select(kv => $"  {kv.Key}: expected \"{kv.Value}\", got {(actual.TryGetValue(kv.Key, out var v) ? $"\"{v}\"" : "nothing")}")
            .ToList();
        if (wrong.Count > 0)
            throw new AssertionFailedException($"status of board {board.Name} differs:\n{string.Join('\n', wrong)}\nfull status:\n{result.Output}");
    }

    private AssertionFailedException Mismatch(string expectation) =>
        new($"expected `{last.Result.Command}` on board {last.Board} {expectation}\nexit code: {last.Result.ExitCode}\noutput:\n{last.Result.Output}");
}
