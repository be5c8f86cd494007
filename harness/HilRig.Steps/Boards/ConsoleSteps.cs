using System.Text.RegularExpressions;
using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using Reqnroll;

namespace HilRig.Steps.Boards;

/// <summary>Reading and typing at a board's console. Expectations read forward from the last match (or the start of the boot).</summary>
[Binding]
public sealed class ConsoleSteps
{
    [Then("the console of board {board} shows {string}")]
    [StepSummary("waits (up to the board's boot timeout) until the text appears")]
    public Task Shows(Board board, string text, CancellationToken cancellation) =>
        board.Console.ExpectAsync(new Regex(Regex.Escape(text)), board.BootTimeout, cancellation);

    [Then("the console of board {board} shows {string} within {int} second(s)")]
    [StepSummary("waits until the text appears, at most that long (times the board's time_scale: an emulated board runs slower)")]
    public Task ShowsWithin(Board board, string text, int seconds, CancellationToken cancellation) =>
        board.Console.ExpectAsync(new Regex(Regex.Escape(text)), board.Scaled(TimeSpan.FromSeconds(seconds)), cancellation);

    [Then("the console of board {board} matches {string}")]
    [StepSummary("waits until a regular expression matches")]
    public Task Matches(Board board, string pattern, CancellationToken cancellation) =>
        board.Console.ExpectAsync(new Regex(pattern, RegexOptions.Multiline), board.BootTimeout, cancellation);

    [Then("the console log of board {board} contains {string}")]
    [StepSummary("the text is anywhere in what the board printed in this scenario, across reboots (no waiting)")]
    public void LogContains(Board board, string text)
    {
        if (!board.Console.Log.Text.Contains(text, StringComparison.Ordinal))
            throw new AssertionFailedException($"board {board.Name} never printed \"{text}\"");
    }

    [When("I type {string} on the console of board {board}")]
    [StepSummary("types a line at the console")]
    public Task Type(string line, Board board, CancellationToken cancellation) => board.Console.SendAsync(line + "\n", cancellation);
}
