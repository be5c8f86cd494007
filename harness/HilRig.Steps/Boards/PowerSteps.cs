using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using Reqnroll;

namespace HilRig.Steps.Boards;

/// <summary>Switching boards on and off, and waiting for them to boot.</summary>
[Binding]
public sealed class PowerSteps
{
    [Given("board {board} is running")]
    [StepSummary("powers the board on if it is off and waits until its shell answers")]
    public async Task IsRunning(Board board, CancellationToken cancellation)
    {
        if (board.Power.State == PowerState.Off) await board.Power.OnAsync(cancellation);
        await BootWait.UntilShellAsync(board, board.BootTimeout, cancellation);
    }

    [When("I power on board {board}")]
    [StepSummary("applies power; does not wait for the boot")]
    public Task PowerOn(Board board, CancellationToken cancellation) => board.Power.OnAsync(cancellation);

    [When("I power off board {board}")]
    [StepSummary("orderly power-down: the board may shut down cleanly")]
    public Task PowerOff(Board board, CancellationToken cancellation) => board.Power.OffAsync(cancellation);

    [When("I power-cycle board {board}")]
    [StepSummary("orderly off, then on")]
    public Task Cycle(Board board, CancellationToken cancellation) => board.Power.CycleAsync(cancellation);

    [When("I cut the power of board {board}")]
    [StepSummary("removes power at once, as when the plug is pulled")]
    public Task Cut(Board board, CancellationToken cancellation) => board.Power.CutAsync(cancellation);

    [When("I reboot board {board}")]
    [StepSummary("types `reboot` at the board's console")]
    public Task Reboot(Board board, CancellationToken cancellation) => board.Console.SendAsync("reboot\n", cancellation);

    [Then("board {board} boots within {int} second(s)")]
    [StepSummary("waits for the end of the boot log and a shell prompt (times the board's time_scale: an emulated board runs slower)")]
    public Task BootsWithin(Board board, int seconds, CancellationToken cancellation) =>
        BootWait.UntilShellAsync(board, board.Scaled(TimeSpan.FromSeconds(seconds)), cancellation);

    [Then("board {board} is powered {word}")]
    [StepSummary("checks the power state: on or off")]
    public void IsPowered(Board board, string state)
    {
        var expected = state switch
        {
            "on" => PowerState.On,
            "off" => PowerState.Off,
            _ => throw new ArgumentException($"a board is powered on or off, not \"{state}\""),
        };
        if (board.Power.State != expected)
            throw new AssertionFailedException($"board {board.Name} is powered {board.Power.State.ToString().ToLowerInvariant()}, expected {state}");
    }
}
