using System.Collections.Concurrent;

namespace HilRig.SoftBus.Coap;

/// <summary>What an endpoint dropped, rejected or repeated, by reason ("format-error", "duplicate", "retransmission"…).</summary>
public sealed class CoapCounters
{
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public void Add(string reason) => _counts.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public long this[string reason] => _counts.GetValueOrDefault(reason);

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_counts);

    public override string ToString() => string.Join(" ", _counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));
}
