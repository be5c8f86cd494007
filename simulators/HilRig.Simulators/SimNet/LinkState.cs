using HilRig.Simulators.Randomness;

namespace HilRig.Simulators.SimNet;

/// <summary>Counters of one link direction, as the control API reports them.</summary>
public readonly record struct LinkStatistics(
    string From, string To, long Forwarded, long LostRandom, long LostPartition, long LostQueue,
    long Duplicated, long Reordered, long Corrupted, long Delayed)
{
    /// <summary>Bytes of the frames delivered (Ethernet header included).</summary>
    public long ForwardedBytes { get; init; }
}

/// <summary>
/// The mutable state of one direction of one link (source port → destination port). Only the source
/// port's read thread makes decisions here, so the generator and the flow table need no lock;
/// the control API swaps <see cref="Impairment"/> and <see cref="Blocked"/> atomically.
/// </summary>
internal sealed class LinkState(string from, string to, ulong seed)
{
    /// <summary>Flows remembered per link direction; past this the table starts again (still the same for the same traffic).</summary>
    private const int MaxFlows = 65_536;

    private readonly Dictionary<ulong, FlowState> _flows = new();
    private readonly DeterministicRandom _frameRandom = new(0);
    private LinkImpairment _impairment = LinkImpairment.None;
    private volatile bool _blocked;
    private int _inFlight;

    public string From { get; } = from;
    public string To { get; } = to;

    /// <summary>
    /// The generator for the decisions about <paramref name="frame"/>, seeded from the link, the frame's flow and its place
    /// in that flow — not from arrival order, so flows interleaving differently on a replay get the same decisions.
    /// Valid until the next call.
    /// </summary>
    public DeterministicRandom RandomFor(ReadOnlySpan<byte> frame, out FlowState flow)
    {
        var key = FlowKey.Of(frame);
        if (!_flows.TryGetValue(key, out flow!))
        {
            if (_flows.Count >= MaxFlows) _flows.Clear();
            _flows[key] = flow = new FlowState();
        }
        _frameRandom.Reseed(SeedDerivation.Combine(SeedDerivation.Combine(seed, key), (ulong)flow.Frames++));
        return _frameRandom;
    }

    public LinkImpairment Impairment
    {
        get => Volatile.Read(ref _impairment);
        set => Volatile.Write(ref _impairment, value);
    }

    /// <summary>Partitioned: every frame on this direction is dropped.</summary>
    public bool Blocked
    {
        get => _blocked;
        set => _blocked = value;
    }

    /// <summary>Timestamp at which the rate limiter is free again.</summary>
    public long NextFree;

    /// <summary>Latest due time given to a frame that keeps FIFO order.</summary>
    public long LastDue;

    /// <summary>Frames of this link waiting in the delay line; while any wait, new frames queue behind them.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void EnterDelayLine() => Interlocked.Increment(ref _inFlight);

    public void LeaveDelayLine() => Interlocked.Decrement(ref _inFlight);

    public long ForwardedBytes;

    public long Forwarded, LostRandom, LostPartition, LostQueue, Duplicated, Reordered, Corrupted, Delayed;

    public LinkStatistics Snapshot() => new(From, To, Interlocked.Read(ref Forwarded), Interlocked.Read(ref LostRandom),
        Interlocked.Read(ref LostPartition), Interlocked.Read(ref LostQueue), Interlocked.Read(ref Duplicated),
        Interlocked.Read(ref Reordered), Interlocked.Read(ref Corrupted), Interlocked.Read(ref Delayed))
    {
        ForwardedBytes = Interlocked.Read(ref ForwardedBytes),
    };
}

/// <summary>What a link remembers of one flow: how many of its frames it has decided on, and its burst-loss state.</summary>
internal sealed class FlowState
{
    public long Frames;

    /// <summary>Gilbert–Elliott: in the Bad state. One chain per flow, so a flow's bursts do not depend on other flows' frames.</summary>
    public bool BurstBad;
}
