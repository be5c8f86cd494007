namespace HilRig.Engine.Runtime;

/// <summary>
/// Waiting for something the harness can only look at, not be told about (a board's `status`, a file a tool
/// writes): check, wait a little, check again, until it holds or the deadline passes. Never a bare sleep.
/// </summary>
public static class Poll
{
    /// <summary>True once <paramref name="condition"/> holds; false if it still does not at the deadline.</summary>
    public static async Task<bool> UntilAsync(
        Func<CancellationToken, Task<bool>> condition, TimeSpan timeout, TimeSpan interval, CancellationToken cancellation, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var started = time.GetTimestamp();
        while (true)
        {
            if (await condition(cancellation)) return true;
            if (time.GetElapsedTime(started) >= timeout) return false;
            await Task.Delay(interval, time, cancellation);
        }
    }

    public static Task<bool> UntilAsync(Func<bool> condition, TimeSpan timeout, TimeSpan interval, CancellationToken cancellation, TimeProvider? time = null) =>
        UntilAsync(_ => Task.FromResult(condition()), timeout, interval, cancellation, time);
}
