using HilRig.Capture.Decoding.Coap;
using HilRig.Capture.Events;

namespace HilRig.Capture.Assertions;

/// <summary>A named predicate over events, so failures say what was looked for ("PrepareUpdate", "CON request").</summary>
public sealed record EventMatch(string Name, Func<DecodedEvent, bool> Predicate)
{
    public bool Matches(DecodedEvent e) => Predicate(e);

    /// <summary>
    /// Counts frames rather than events: a frame decodes to several events (a TCP segment carrying HTTP/2 frames and a
    /// gRPC message), but it is one packet.
    /// </summary>
    public bool CountsFrames { get; init; }

    public override string ToString() => Name;

    /// <summary>This match narrowed by <paramref name="condition"/> under a new name ("packet from main"); what it counts stays.</summary>
    public EventMatch Narrow(string name, Func<DecodedEvent, bool> condition)
    {
        var predicate = Predicate;
        return this with { Name = name, Predicate = e => condition(e) && predicate(e) };
    }

    /// <summary>gRPC messages whose kind (oneof case or type name) is <paramref name="kind"/>.</summary>
    public static EventMatch Grpc(string kind) => new(kind, e => e is GrpcEvent g && g.MessageKind == kind);

    public static EventMatch CoapRequest(string? path = null) =>
        new($"CoAP request{(path is null ? "" : " " + path)}", e => e is CoapEvent c && c.Message.IsRequest && (path is null || c.Message.UriPath == path));

    /// <summary>Every packet (frame) of the capture.</summary>
    public static EventMatch Any { get; } = new("packet", _ => true) { CountsFrames = true };
}

/// <summary>
/// Order, count and timing assertions over a <see cref="CaptureLog"/>. Each failure throws
/// <see cref="CaptureAssertionException"/> naming the violation and quoting the events around it.
/// </summary>
public static class CaptureAssert
{
    /// <summary>
    /// "the CM sent PrepareUpdate to every UM before any StartUpdate": for every host in <paramref name="to"/>
    /// an event matching <paramref name="first"/> from <paramref name="from"/> to that host precedes the
    /// first event matching <paramref name="then"/> (from <paramref name="from"/> to anyone).
    /// </summary>
    public static void EachBefore(CaptureLog log, string from, EventMatch first, IReadOnlyCollection<string> to, EventMatch then)
    {
        log.Hosts.RequireKnown(from);
        foreach (var host in to) log.Hosts.RequireKnown(host);
        var sent = log.From(from).ToList();
        var firstThen = sent.FirstOrDefault(then.Matches);
        var limit = firstThen?.Frame ?? long.MaxValue;
        var missing = to.Where(host => !sent.Any(e => e.Frame < limit && first.Matches(e) && log.Hosts.Is(e.Destination, host))).ToList();
        if (missing.Count == 0) return;
        var evenLater = missing.Where(host => sent.Any(e => first.Matches(e) && log.Hosts.Is(e.Destination, host))).ToList();
        var message = firstThen is null
            ? $"{from} never sent {first} to {string.Join(", ", missing)}"
            : $"{from} sent {then} (frame {firstThen.Frame}) before sending {first} to {string.Join(", ", missing)}" +
              (evenLater.Count > 0 ? $" ({string.Join(", ", evenLater)} got it only later)" : "");
        throw Fail(log, message, firstThen?.Frame);
    }

    /// <summary>The number of events matching <paramref name="match"/> (of frames, when it <see cref="EventMatch.CountsFrames"/>) lies in [min, max].</summary>
    public static void Count(CaptureLog log, EventMatch match, int min, int max = int.MaxValue)
    {
        var matching = log.Events.Where(match.Matches);
        var hits = (match.CountsFrames ? matching.DistinctBy(e => e.Frame) : matching).ToList();
        if (hits.Count >= min && hits.Count <= max) return;
        var bound = max == int.MaxValue ? $"at least {min}" : min == max ? $"exactly {min}" : $"between {min} and {max}";
        throw Fail(log, $"expected {bound} × {match}, found {hits.Count}", hits.Count > max ? hits[max].Frame : hits.LastOrDefault()?.Frame);
    }

    /// <summary>
    /// "no packet left board X while it was partitioned": no event from <paramref name="host"/> in
    /// [<paramref name="from"/>, <paramref name="until"/>). Load the log with <see cref="DirectionView.Delivered"/>
    /// to check what crossed the switch rather than what the host tried to send.
    /// </summary>
    public static void NoneFrom(CaptureLog log, string host, DateTimeOffset from, DateTimeOffset until, EventMatch? match = null)
    {
        log.Hosts.RequireKnown(host);
        var violation = log.From(host).FirstOrDefault(e => e.Time >= from && e.Time < until && (match is null || match.Matches(e)));
        if (violation is not null)
            throw Fail(log, $"{host} sent {(match?.Name ?? "a packet")} at {violation.Time:HH:mm:ss.ffffff} (frame {violation.Frame}), inside the window {from:HH:mm:ss.fff}–{until:HH:mm:ss.fff}", violation.Frame);
    }

    /// <summary>
    /// "each CON request was retransmitted at most N times with doubling gaps" (RFC 7252 §4.2): groups CON
    /// requests by (source, destination, message id, token); each group has at most
    /// <paramref name="maxRetransmissions"/> + 1 sends, the first gap lies in [ACK_TIMEOUT, ACK_TIMEOUT ×
    /// ACK_RANDOM_FACTOR] and each later gap is twice the previous within <paramref name="tolerance"/>.
    /// Returns the groups checked.
    /// </summary>
    public static int CoapRetransmissions(CaptureLog log, int maxRetransmissions = 4, double tolerance = 0.25,
        TimeSpan? ackTimeout = null, double ackRandomFactor = 1.5)
    {
        var timeout = ackTimeout ?? TimeSpan.FromSeconds(2);
        var groups = log.Events.OfType<CoapEvent>()
            .Where(e => e.Message.Type == CoapType.Confirmable)
            .GroupBy(e => (e.Source, e.Destination, e.Message.MessageId, e.Message.TokenHex))
            .ToList();
        foreach (var g in groups)
        {
            var sends = g.OrderBy(e => e.TimestampNanos).ToList();
            if (sends.Count > maxRetransmissions + 1)
                throw Fail(log, $"CON mid {g.Key.MessageId} from {log.Hosts.Describe(g.Key.Source)} was sent {sends.Count} times (at most {maxRetransmissions + 1} allowed)", sends[maxRetransmissions + 1].Frame);
            for (var i = 1; i < sends.Count; i++)
            {
                var gap = TimeSpan.FromTicks((sends[i].TimestampNanos - sends[i - 1].TimestampNanos) / 100);
                if (i == 1)
                {
                    var low = timeout * (1 - tolerance);
                    var high = timeout * ackRandomFactor * (1 + tolerance);
                    if (gap < low || gap > high)
                        throw Fail(log, $"CON mid {g.Key.MessageId}: first retransmission after {gap.TotalSeconds:0.000} s, outside [{timeout.TotalSeconds:0.###}, {(timeout * ackRandomFactor).TotalSeconds:0.###}] s ± {tolerance:P0}", sends[i].Frame);
                }
                else
                {
                    var previous = TimeSpan.FromTicks((sends[i - 1].TimestampNanos - sends[i - 2].TimestampNanos) / 100);
                    var ratio = gap / previous;
                    if (Math.Abs(ratio - 2) > 2 * tolerance)
                        throw Fail(log, $"CON mid {g.Key.MessageId}: gap {i} is {gap.TotalSeconds:0.000} s after a gap of {previous.TotalSeconds:0.000} s (ratio {ratio:0.00}, expected 2 ± {2 * tolerance:0.##})", sends[i].Frame);
                }
            }
        }
        return groups.Count;
    }

    /// <summary>
    /// "main resumed with a Range request after the heal": some event matching <paramref name="match"/> happened at or
    /// after <paramref name="after"/>. Returns the first one.
    /// </summary>
    public static DecodedEvent SomeAfter(CaptureLog log, EventMatch match, DateTimeOffset after)
    {
        var hit = log.Events.FirstOrDefault(e => e.Time >= after && match.Matches(e));
        if (hit is not null) return hit;
        var before = log.Events.LastOrDefault(match.Matches);
        var anchor = log.Events.FirstOrDefault(e => e.Time >= after);
        throw Fail(log, $"no {match} at or after {after:HH:mm:ss.fff}" + (before is null ? $" (none at all)" : $" (the last one was frame {before.Frame} at {before.Time:HH:mm:ss.fff})"),
            anchor?.Frame ?? before?.Frame);
    }

    /// <summary>
    /// Timing: after the first event matching <paramref name="first"/>, an event matching <paramref name="then"/>
    /// follows within <paramref name="within"/>. Returns the gap.
    /// </summary>
    public static TimeSpan FollowsWithin(CaptureLog log, EventMatch first, EventMatch then, TimeSpan within)
    {
        var a = log.Events.FirstOrDefault(first.Matches) ?? throw Fail(log, $"no {first} in the capture", null);
        var b = log.Events.FirstOrDefault(e => e.Frame > a.Frame && then.Matches(e))
            ?? throw Fail(log, $"no {then} after {first} (frame {a.Frame})", a.Frame);
        var gap = b.Time - a.Time;
        if (gap > within)
            throw Fail(log, $"{then} (frame {b.Frame}) came {gap.TotalSeconds:0.000} s after {first} (frame {a.Frame}), more than {within.TotalSeconds:0.###} s", b.Frame);
        return gap;
    }

    private static CaptureAssertionException Fail(CaptureLog log, string message, long? frame) =>
        new(message, log.PcapPath, frame is { } f ? log.Excerpt(f) : log.Excerpt(0, Math.Min(log.Events.Count, 12)), frame);
}
