using System.Text.RegularExpressions;
using HilRig.Harness.Bindings;
using HilRig.Harness.Boards;
using HilRig.Harness.Runtime;
using HilRig.Steps.Boards;

namespace HilRig.Steps.Update;

/// <summary>
/// Cloud updates of a root filesystem (<c>rootfs-ab</c>): the check-in whose update reboots a board — on the main node
/// that restarts the CM too, which then finishes the update from what the UMs report — and what the unit ends with.
/// </summary>
[Binding]
public sealed class RootfsUpdateSteps(UpdateUnit unit, ScenarioOutput output)
{
    private static readonly TimeSpan UpdateTimeout = TimeSpan.FromSeconds(120);

    [When("the unit checks in and board {board} reboots {int} time(s) on the way",
        Summary = "starts `cm checkin` on the main board, waits until the board has rebooted that many times (its update modules asked) and its shell is back")]
    public async Task CheckInWithReboots(Board board, int times, CancellationToken ct)
    {
        var before = Reboots(board);
        await unit.Main!.Console.SendAsync("cm checkin\n", ct);
        var deadline = DateTimeOffset.UtcNow + UpdateTimeout;
        while (Reboots(board) < before + times)
        {
            if (DateTimeOffset.UtcNow > deadline)
                throw new AssertionFailedException($"board {board.Name} rebooted {Reboots(board) - before} of {times} time(s) within {UpdateTimeout.TotalSeconds} s of the check-in");
            await Task.Delay(100, ct);
        }
        await BootWait.UntilShellAsync(board, board.BootTimeout, ct);
        output.WriteLine($"{board.Name} rebooted {times} time(s) during the update");
    }

    [Then("the unit reverts image version {int} with reason {string} within {int} seconds",
        Summary = "waits until the CM reports the update reverted for that reason and every UM is IDLE (the CM may have restarted on the way)")]
    public async Task Reverted(int version, string reason, int seconds, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(seconds);
        var outcome = new Regex($@"^failed {version} {Regex.Escape(reason)}:");
        while (true)
        {
            var status = await unit.Main!.Shell.RunAsync("cm status", TimeSpan.FromSeconds(30), ct);
            var ums = UpdateUnit.ConnectedUms(status);
            if (UpdateUnit.Field(status, "phase") == "idle" && outcome.IsMatch(UpdateUnit.Field(status, "outcome") ?? "") &&
                unit.Nodes.All(n => ums.GetValueOrDefault(n.Name) == "IDLE"))
            {
                output.WriteLine($"{unit.Main.Name}$ cm status\n{status.Output}");
                return;
            }
            if (DateTimeOffset.UtcNow > deadline)
                throw new AssertionFailedException($"the unit did not revert image version {version} ({reason}) within {seconds} s:\n{status.Output}");
            await Task.Delay(250, ct);
        }
    }

    [Then("component {string} of board {board} is installed at version {string}", Summary = "`um status` on the board lists the component INSTALLED at that version")]
    public async Task ComponentVersion(string component, Board board, string version, CancellationToken ct)
    {
        var status = await board.Shell.RunAsync("um status", TimeSpan.FromSeconds(30), ct);
        if (!status.Lines.Contains($"component {component} {version} INSTALLED"))
            throw new AssertionFailedException($"{board.Name}: expected component {component} {version} INSTALLED:\n{status.Output}");
    }

    private static int Reboots(Board board) => Regex.Matches(board.Console.Log.Text, "reboot: Restarting system").Count;
}
