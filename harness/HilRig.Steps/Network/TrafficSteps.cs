using HilRig.Engine.Bindings;
using Reqnroll;

namespace HilRig.Steps.Network;

/// <summary>Waiting on traffic as SimNet counts it, so a fault can be timed to the middle of a transfer.</summary>
[Binding]
public sealed class TrafficSteps(ScenarioCapture capture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(2);

    [When("{host} has sent {int} KiB to {host}")]
    [StepSummary("waits (up to 2 minutes) until SimNet has delivered that much from the one host to the other")]
    public async Task HasSent(NetworkHost from, int kib, NetworkHost to, CancellationToken ct)
    {
        var sw = capture.Network.Switch;
        var target = (long)kib << 10;
        var deadline = DateTimeOffset.UtcNow + Deadline;
        while (true)
        {
            var delivered = sw.Ports.Any(p => p.Host == from.Name) && sw.Ports.Any(p => p.Host == to.Name) ? sw.Statistics(from.Name, to.Name).ForwardedBytes : 0;
            if (delivered >= target) return;
            if (DateTimeOffset.UtcNow > deadline)
                throw new AssertionFailedException($"{from} delivered {delivered >> 10} KiB to {to} within {Deadline.TotalSeconds:0} s, not {kib} KiB");
            await Task.Delay(20, ct);
        }
    }
}
