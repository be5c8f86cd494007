using HilRig.Engine.Runtime;
using HilRig.Rig.Protocols;

namespace HilRig.Steps.Boards;

/// <summary>
/// A shell command run again and again (<see cref="Poll"/>) until its output shows what a step waits for: how steps
/// read a state the board only prints (`softbus devices`, `cm status`).
/// </summary>
public static class ShellPoll
{
    /// <summary>
    /// Runs <paramref name="command"/> every <paramref name="interval"/> until <paramref name="done"/> holds or
    /// <paramref name="timeout"/> passes; returns whether it held and the last output (for the failure message).
    /// </summary>
    public static async Task<(bool Done, ShellResult Last)> UntilAsync(IShellProtocol shell, string command, TimeSpan commandTimeout,
        Func<ShellResult, bool> done, TimeSpan timeout, TimeSpan interval, CancellationToken ct)
    {
        ShellResult? last = null;
        var held = await Poll.UntilAsync(async token => done(last = await shell.RunAsync(command, commandTimeout, token)), timeout, interval, ct);
        return (held, last!);
    }
}
