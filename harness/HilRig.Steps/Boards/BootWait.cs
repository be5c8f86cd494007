using System.Text.RegularExpressions;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;

namespace HilRig.Steps.Boards;

/// <summary>
/// Waiting for a board to finish booting: its boot-complete line when it prints one, then a shell prompt.
/// If the board stops while we wait, the wait ends at once with the board's own account of why.
/// </summary>
public static class BootWait
{
    public static async Task UntilShellAsync(Board board, TimeSpan timeout, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var watch = WatchForStopAsync(board, stop.Token);
        var boot = BootAsync(board, timeout, stop.Token);
        var first = await Task.WhenAny(boot, watch);
        await stop.CancelAsync();
        if (first == watch && watch.Result is { } reason)
        {
            var health = board.TryGet<IBoardHealth>(out var h) ? h : null;
            if (health?.StopWasRigFault == true) throw new RigFaultException($"board {board.Name} could not start: {reason}");
            throw new AssertionFailedException($"board {board.Name} stopped while booting: {reason}");
        }
        await boot;
    }

    private static async Task BootAsync(Board board, TimeSpan timeout, CancellationToken cancellation)
    {
        var started = DateTimeOffset.UtcNow;
        if (board.BootCompleteMarker is { } marker)
            await board.Console.ExpectAsync(new Regex(Regex.Escape(marker)), timeout, cancellation);
        var left = timeout - (DateTimeOffset.UtcNow - started);
        await board.Shell.WaitReadyAsync(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellation);
    }

    /// <summary>Completes with the reason once the board has stopped on its own (or was never switched on).</summary>
    private static async Task<string?> WatchForStopAsync(Board board, CancellationToken cancellation)
    {
        var health = board.TryGet<IBoardHealth>(out var h) ? h : null;
        try
        {
            while (true)
            {
                if (board.Power.State == PowerState.Off)
                    return health?.StopReason ?? $"it is powered off (power history: {string.Join(", ", board.Power.History.Select(e => e.Kind))})";
                // A board can fail while powered: a kernel panic or an unexpected reset read from its console.
                if (health?.StopReason is { } failed) return failed;
                await Task.Delay(100, cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }
}
