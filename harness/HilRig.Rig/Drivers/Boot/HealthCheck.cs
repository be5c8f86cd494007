using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.Power;

namespace HilRig.Rig.Drivers.Boot;

/// <summary>
/// A physical board's health check (LAVA's health job, once per run): power switches on, the console prints, the
/// shell answers (login included), power switches off. Whatever fails is a rig fault: the bench, not the product.
/// </summary>
public static class HealthCheck
{
    public static async Task RunAsync(string board, SwitchedPower power, BootStrategy strategy, SerialConsole console, TimeSpan bootTimeout, CancellationToken cancellation)
    {
        console.Log.Annotate("health check: power on, console, shell, power off");
        var from = console.Log.Length;
        try
        {
            await power.SwitchOnLockedAsync(cancellation);
            try
            {
                // A panic or reset ends the wait at once; otherwise the shell must answer within the boot timeout.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                var ready = strategy.WaitReadyAsync(bootTimeout, stop.Token);
                while (!ready.IsCompleted && strategy.StopReason is null)
                    await Task.WhenAny(ready, Task.Delay(100, cancellation));
                await stop.CancelAsync();
                if (strategy.StopReason is { } fault) throw new RigFaultException($"board {board}: health check: {fault}");
                await ready;
            }
            catch (ConsoleTimeoutException e)
            {
                var said = console.Log.Length > from ? "it printed, but no shell prompt came" : "its console printed nothing (console silent, or power not reaching the board)";
                throw new RigFaultException($"board {board}: health check: {said} within {bootTimeout.TotalSeconds:0} s of power-on" +
                                            (console.LostReason is { } lost ? $"; {lost}" : "") + $"\n{e.Message}", e);
            }
        }
        finally
        {
            await power.CutLockedAsync(CancellationToken.None);
        }
        console.Log.Annotate("health check passed");
    }
}
