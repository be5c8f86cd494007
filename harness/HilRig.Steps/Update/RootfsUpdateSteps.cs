using System.Text.RegularExpressions;
using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Engine.Runtime;
using HilRig.Steps.Boards;
using Reqnroll;

namespace HilRig.Steps.Update;

/// <summary>
/// Cloud updates of a root filesystem (<c>rootfs-ab</c>): the check-in whose update reboots a board — on the main node
/// that restarts the CM too, which then finishes the update from what the UMs report — and what the unit ends with.
/// </summary>
[Binding]
public sealed class RootfsUpdateSteps(UpdateUnit unit, ScenarioOutput output)
{
    private static readonly TimeSpan UpdateTimeout = TimeSpan.FromSeconds(120);

    [When("the unit checks in and board {board} reboots {int} time(s) on the way")]
    [StepSummary("starts `cm checkin` on the main board, waits until the board has rebooted that many times (its update modules asked) and its shell is back")]
    public async Task CheckInWithReboots(Board board, int times, CancellationToken ct)
    {
        // Only what the console prints from now on: each line is read once, as it arrives.
        var from = board.Console.Log.Length;
        await unit.Main!.Console.SendAsync("cm checkin\n", ct);
        var rebooted = 0;
        var position = from;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(UpdateTimeout);
            await foreach (var line in board.Console.Log.ReadLinesAsync(from, timeout.Token))
            {
                position += line.Length + 1;
                if (line.Contains(UpdateUnit.RebootLine, StringComparison.Ordinal) && ++rebooted == times) break;
            }
        }
        ct.ThrowIfCancellationRequested();
        if (rebooted < times)
            throw new AssertionFailedException($"board {board.Name} rebooted {rebooted} of {times} time(s) within {UpdateTimeout.TotalSeconds} s of the check-in");
        // The last reboot line can come before the driver has started the next boot (and moved the read position to
        // it): without this, the wait below would take the previous boot's boot-complete line and prompt for this one.
        if (board.Console.ReadPosition < position) board.Console.ReadPosition = position;
        await BootWait.UntilShellAsync(board, board.BootTimeout, ct);
        output.WriteLine($"{board.Name} rebooted {times} time(s) during the update");
    }

    [Then("the unit reverts image version {int} with reason {string} within {int} seconds")]
    [StepSummary("waits until the CM reports the update reverted for that reason and every UM is IDLE (the CM may have restarted on the way)")]
    public async Task Reverted(int version, string reason, int seconds, CancellationToken ct)
    {
        var outcome = new Regex($@"^failed {version} {Regex.Escape(reason)}:");
        var status = await unit.WaitForCmStatusAsync(
            s => UpdateUnit.Field(s, "phase") == "idle" && outcome.IsMatch(UpdateUnit.Field(s, "outcome") ?? "") &&
                 unit.Nodes.All(n => UpdateUnit.ConnectedUms(s).GetValueOrDefault(n.Name) == "IDLE"),
            TimeSpan.FromSeconds(seconds),
            s => $"the unit did not revert image version {version} ({reason}) within {seconds} s:\n{s.Output}", ct);
        output.WriteLine($"{unit.Main!.Name}$ cm status\n{status.Output}");
    }

    [Then("component {string} of board {board} is installed at version {string}")]
    [StepSummary("`um status` on the board lists the component INSTALLED at that version")]
    public async Task ComponentVersion(string component, Board board, string version, CancellationToken ct)
    {
        var status = await board.Shell.RunAsync("um status", TimeSpan.FromSeconds(30), ct);
        if (!status.Lines.Contains($"component {component} {version} INSTALLED"))
            throw new AssertionFailedException($"{board.Name}: expected component {component} {version} INSTALLED:\n{status.Output}");
    }
}
