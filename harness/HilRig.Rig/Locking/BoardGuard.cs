using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Model;

namespace HilRig.Rig.Locking;

/// <summary>
/// The guard's side (run by <c>hilrig rig guard</c>): takes the board's lock for the run that started it, answers
/// <c>locked</c> or <c>busy HOLDER</c> on stdout, then waits on stdin. <c>release</c> means the run switched the board off
/// itself; end of input without it means the run died, and the guard switches the board's power off before letting go.
/// </summary>
public static class BoardGuard
{
    public static async Task<int> RunAsync(RigDefinition rig, string boardName, LockHolder me, TimeSpan lockTimeout, TextReader input, TextWriter output, TextWriter log)
    {
        var board = rig.FindBoard(boardName);
        if (board is null)
        {
            await output.WriteLineAsync($"error: the rig {rig.SourcePath} has no board {boardName}");
            return 2;
        }
        var key = BoardLock.KeyFor(BoardResource(board));
        var deadline = DateTimeOffset.UtcNow + lockTimeout;
        BoardLock? held;
        LockHolder? holder;
        while ((held = BoardLock.TryAcquire(key, me with { Resource = key }, out holder)) is null && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(200);
        if (held is null)
        {
            await output.WriteLineAsync("busy " + (holder?.ToJson() ?? ""));
            await output.FlushAsync();
            return 3;
        }
        using (held)
        {
            await output.WriteLineAsync("locked");
            await output.FlushAsync();
            string? line;
            while ((line = await input.ReadLineAsync()) is not null)
                if (line == "release") return 0;
            await log.WriteLineAsync($"hilrig guard: the run (pid {me.Pid}) ended without releasing board {boardName}; switching its power off");
            try
            {
                await using var power = PowerSwitches.Create(board);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await power.CutAsync(timeout.Token);
                await log.WriteLineAsync($"hilrig guard: board {boardName} is off ({power.Description})");
            }
            catch (Exception e) when (e is PowerSwitchException or IOException or OperationCanceledException)
            {
                await log.WriteLineAsync($"hilrig guard: switching board {boardName} off FAILED: {e.Message}");
                return 3;
            }
            return 0;
        }
    }

    /// <summary>What identifies a physical board on this machine: its console port.</summary>
    public static string BoardResource(BoardDefinition board) =>
        board.Driver("serial") is { } serial ? Drivers.Serial.SerialLine.Resolve(Drivers.Serial.SerialSettings.From(serial)) : "board-" + board.Name;
}
