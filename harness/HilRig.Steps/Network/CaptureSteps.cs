using HilRig.Capture.Assertions;
using HilRig.Engine.Bindings;
using HilRig.Steps.Update;
using Reqnroll;

namespace HilRig.Steps.Network;

/// <summary>
/// Assertions over what crossed SimNet, read from the scenario's capture rather than from the software's logs: order,
/// count and timing of decoded events (gRPC messages by name, HTTP requests, CoAP, TCP). A failing one attaches the pcap
/// and the decoded events around the violation.
/// </summary>
[Binding]
public sealed class CaptureSteps(ScenarioCapture capture, UpdateUnit unit)
{
    [Then("the CM sent {word} to every UM before any {word}")]
    [StepSummary("from the capture: the CM on the unit's main board sent the first message to each secondary's UM before it sent the second to anyone (the main board's own UM is local and never on the wire)")]
    public void CmOrder(string first, string then)
    {
        var main = unit.Main?.Name ?? throw new InvalidOperationException("no update unit yet; use \"Given an update unit of main board …\"");
        var ums = unit.Nodes.Where(n => n.Name != main).Select(n => n.Name).ToList();
        capture.Check(DirectionView.Sent, log => CaptureAssert.EachBefore(log, main, CaptureQuery.Parse(first), ums, CaptureQuery.Parse(then)));
    }

    [Then("{host} sent {word} to each of {string} before any {word}")]
    [StepSummary("order: the first message reached each listed host (comma-separated board names) before the host sent any of the second")]
    public void Order(NetworkHost from, string first, string hosts, string then) =>
        capture.Check(DirectionView.Sent, log => CaptureAssert.EachBefore(log, from.Name, CaptureQuery.Parse(first),
            hosts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), CaptureQuery.Parse(then)));

    [Then("each CON request was retransmitted at most {int} times with doubling gaps")]
    [StepSummary("RFC 7252 §4.2 from the capture: per CON message at most N retransmissions, first gap in [ACK_TIMEOUT, ACK_TIMEOUT×1.5], then doubling")]
    public void CoapRetransmissions(int max) =>
        capture.Check(DirectionView.Sent, log =>
        {
            if (CaptureAssert.CoapRetransmissions(log, max) == 0)
                throw new AssertionFailedException("the capture holds no CON request: nothing to check");
        });

    [Then("no packet left {host} while it was partitioned")]
    [StepSummary("nothing the host sent was delivered by SimNet between each partition of it and its heal")]
    public void NothingWhilePartitioned(NetworkHost host)
    {
        var windows = capture.PartitionWindows(host.Name);
        if (windows.Count == 0) throw new AssertionFailedException($"{host} was never partitioned in this scenario: nothing to check");
        capture.Check(DirectionView.Delivered, log =>
        {
            foreach (var (from, until) in windows) CaptureAssert.NoneFrom(log, host.Name, from, until);
        });
    }

    [Then("{host} sent an HTTP Range request to {host} after its partition healed")]
    [StepSummary("a resumed download: an HTTP request with Range: bytes=N- (N > 0) from the host after its last heal")]
    public void RangeAfterHeal(NetworkHost from, NetworkHost to)
    {
        var heals = capture.Heals(from.Name);
        if (heals.Count == 0) throw new AssertionFailedException($"{from} was never partitioned and healed in this scenario");
        capture.Check(DirectionView.Sent, log =>
        {
            var match = CaptureQuery.Between(CaptureQuery.Parse("HTTP Range request"), log.Hosts, from.Name, to.Name);
            var hit = CaptureAssert.SomeAfter(log, match, heals[^1]);
            var start = ((Capture.Events.HttpEvent)hit).Message.RangeStart;
            if (start is not > 0)
                throw new AssertionFailedException($"the Range request after the heal (frame {hit.Frame}) starts at byte {start}: the download started over instead of resuming");
        });
    }

    [Then("the capture shows at least {int} {string} from {host} to {host}")]
    [StepSummary("count, lower bound (kinds: " + CaptureQuery.Vocabulary + ")")]
    public void AtLeast(int count, string what, NetworkHost from, NetworkHost to) => Count(what, from, to, count, int.MaxValue);

    [Then("the capture shows at most {int} {string} from {host} to {host}")]
    [StepSummary("count, upper bound")]
    public void AtMost(int count, string what, NetworkHost from, NetworkHost to) => Count(what, from, to, 0, count);

    [Then("the capture shows exactly {int} {string} from {host} to {host}")]
    [StepSummary("count, exact")]
    public void Exactly(int count, string what, NetworkHost from, NetworkHost to) => Count(what, from, to, count, count);

    [Then("the capture shows at least {int} {string} delivered from {host} to {host}")]
    [StepSummary("count, lower bound, of what SimNet handed on after impairment (e.g. \"damaged packets\" on a corrupting link)")]
    public void AtLeastDelivered(int count, string what, NetworkHost from, NetworkHost to) =>
        capture.Check(DirectionView.Delivered, log => CaptureAssert.Count(log, CaptureQuery.Between(CaptureQuery.Parse(what), log.Hosts, from.Name, to.Name), count, int.MaxValue));

    [Then("the capture shows no {string} from {host}")]
    [StepSummary("count: none from the host to anyone")]
    public void None(string what, NetworkHost from) =>
        capture.Check(DirectionView.Sent, log => CaptureAssert.Count(log, CaptureQuery.Between(CaptureQuery.Parse(what), log.Hosts, from.Name, null), 0, 0));

    [Then("{host} sent {string} within {int} second(s) after {host} sent {string}")]
    [StepSummary("timing: after the first event of the second kind, the first kind follows within the time")]
    public void Within(NetworkHost later, string laterWhat, int seconds, NetworkHost earlier, string earlierWhat) =>
        capture.Check(DirectionView.Sent, log => CaptureAssert.FollowsWithin(log,
            CaptureQuery.Between(CaptureQuery.Parse(earlierWhat), log.Hosts, earlier.Name, null),
            CaptureQuery.Between(CaptureQuery.Parse(laterWhat), log.Hosts, later.Name, null),
            TimeSpan.FromSeconds(seconds)));

    private void Count(string what, NetworkHost from, NetworkHost to, int min, int max) =>
        capture.Check(DirectionView.Sent, log => CaptureAssert.Count(log, CaptureQuery.Between(CaptureQuery.Parse(what), log.Hosts, from.Name, to.Name), min, max));
}
