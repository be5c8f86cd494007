namespace HilRig.Engine.Runtime;

/// <summary>
/// Runs a step or hook with a time limit that holds whatever the code does. The call starts on a thread of its own, so
/// code that blocks synchronously (a blocking read, <c>Thread.Sleep</c>, <c>.Result</c>) cannot hold the runner and its
/// limit still fires. When the limit passes or the run is interrupted, the call's token is cancelled and the call gets
/// <see cref="RunOptions.StepStopGrace"/> to end, so a timed-out step has stopped before the scenario's teardown starts
/// (it cannot power a board on while teardown powers it off). A call that ignores its token past the grace is reported
/// as still running; teardown goes ahead, and boards refuse to be powered on once they are released.
/// </summary>
internal static class BoundedCall
{
    public sealed record Ending(Exception? Error, bool TimedOut, bool Interrupted, bool StillRunning)
    {
        public bool Completed => !TimedOut && !Interrupted;
    }

    public static async Task<Ending> RunAsync(Func<CancellationToken, Task> call, TimeSpan limit, TimeSpan stopGrace, CancellationToken interrupt)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var task = Task.Factory.StartNew(() => call(stop.Token), CancellationToken.None,
            TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).Unwrap();
        using var timer = new CancellationTokenSource();
        // Task.Delay takes up to ~24.8 days; a longer limit is no limit.
        var limitPassed = Task.Delay(limit.TotalMilliseconds >= int.MaxValue ? Timeout.InfiniteTimeSpan : limit, timer.Token);
        var interrupted = Task.Delay(Timeout.Infinite, interrupt);
        var first = await Task.WhenAny(task, limitPassed, interrupted);
        await timer.CancelAsync();
        if (first == task)
        {
            // A call that ended because the interrupt cancelled its token was interrupted, not failed.
            var cut = interrupt.IsCancellationRequested && task.Status != TaskStatus.RanToCompletion;
            return new Ending(cut ? null : ErrorOf(task), false, cut, false);
        }

        var wasInterrupted = first == interrupted;
        await stop.CancelAsync();
        var stopped = await Task.WhenAny(task, Task.Delay(stopGrace)) == task;
        // Observed either way, so a late failure of an abandoned call is not an unobserved task exception.
        _ = task.ContinueWith(t => t.Exception, TaskScheduler.Default);
        return new Ending(stopped ? ErrorOf(task) : null, !wasInterrupted, wasInterrupted, !stopped);
    }

    private static Exception? ErrorOf(Task task) =>
        task.Exception is { } aggregate ? aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate
        : task.IsCanceled ? new OperationCanceledException() : null;
}
