using System.Text.RegularExpressions;

namespace HilRig.Rig.Drivers.Console;

/// <summary>The expect loop shared by every console driver: search forward, wait for more output, give up at the deadline.</summary>
public static class ConsoleExpectation
{
    public static async Task<ConsoleMatch> ExpectAsync(
        ConsoleLog log, Func<long> getPosition, Action<long> setPosition, Regex pattern, TimeSpan timeout, string consoleName,
        TimeProvider time, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        var from = getPosition();
        while (true)
        {
            var (length, changed) = log.Snapshot();
            var text = log.Substring(from, length);
            var match = pattern.Match(text);
            if (match.Success)
            {
                var start = from + match.Index;
                var end = start + match.Length;
                setPosition(end);
                return new ConsoleMatch(match, start, end, text[..match.Index]);
            }
            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                throw new ConsoleTimeoutException(
                    $"console of {consoleName} did not show /{pattern}/ within {timeout.TotalSeconds:0.###} s; " +
                    $"it printed since the read position:\n{Indent(log.Tail(from))}");
            }
        }
    }

    private static string Indent(string text) =>
        text.Length == 0 ? "    (nothing)" : string.Join('\n', text.Split('\n').Select(l => "    | " + l));
}
