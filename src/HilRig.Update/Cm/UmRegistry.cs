using Grpc.Core;
using HilRig.Update.Protocol;

namespace HilRig.Update.Cm;

/// <summary>
/// The UMs connected to this CM and the last status each sent. The orchestrator waits here for a condition over
/// all statuses (every UM PREPARED, or any FAILED) instead of tracking replies one by one, so a UM that reconnects
/// after a reboot and reports its state simply moves the update on.
/// </summary>
public sealed class UmRegistry(TimeProvider time)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();

    public IReadOnlyDictionary<string, UpdateStatus> Statuses
    {
        get { lock (_gate) return _connections.ToDictionary(c => c.Key, c => c.Value.Status); }
    }

    /// <summary>
    /// The component owners of one snapshot of statuses. Who owns what must come from the same snapshot as the statuses
    /// it is used with: a UM that connects between two looks would own a component whose node has no status.
    /// </summary>
    public static IReadOnlyDictionary<string, string> OwnersIn(IReadOnlyDictionary<string, UpdateStatus> statuses)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (node, status) in statuses.OrderBy(s => s.Key, StringComparer.Ordinal))
            foreach (var component in status.Components) owners.TryAdd(component.ComponentId, node);
        return owners;
    }

    /// <summary>
    /// How long <see cref="SendAsync"/> waits for a UM that is not connected right now: one between two streams (its
    /// lease ran out, a blip) is back within it; one that is not is unavailable.
    /// </summary>
    public TimeSpan ReconnectGrace { get; init; } = TimeSpan.Zero;

    private readonly Queue<Refusal> _refusals = new();

    /// <summary>The last registrations the CM refused (a certificate, a node id, a second registration), newest last.</summary>
    public IReadOnlyList<Refusal> Refusals { get { lock (_refusals) return _refusals.ToList(); } }

    /// <summary>Records a refused registration, keeping the last 20.</summary>
    public void Refused(string peer, string? node, string reason)
    {
        lock (_refusals)
        {
            _refusals.Enqueue(new Refusal(time.GetUtcNow(), peer, node, reason));
            while (_refusals.Count > 20) _refusals.Dequeue();
        }
    }

    /// <summary>Counts statuses received, for tests and the benchmark.</summary>
    public long StatusesReceived;

    /// <summary>
    /// Registers a node's stream; null when the node already has one. A second registration is refused, never swapped
    /// in: it would take the node's commands from the stream that holds them. A previous stream that is dead in fact
    /// (its UM lost power) is dropped by the keep-alive pings, and the UM's next attempt gets in.
    /// </summary>
    internal object? Attach(string nodeId, UpdateStatus first, Func<CMMessages, CancellationToken, ValueTask> send, string peer = "")
    {
        var connection = new Connection(send, peer, time.GetUtcNow()) { Status = first };
        lock (_gate)
        {
            if (_connections.ContainsKey(nodeId)) return null;
            _connections[nodeId] = connection;
            Signal_NeedsLock();
        }
        Interlocked.Increment(ref StatusesReceived);
        return connection;
    }

    /// <summary>Where and since when the node's registered stream is, for a refusal's reason.</summary>
    internal string Holder(string nodeId)
    {
        lock (_gate) return _connections.TryGetValue(nodeId, out var c) ? $"from {c.Peer} since {c.Since:O}" : "by a stream that has just ended";
    }

    internal void Report(string nodeId, object token, UpdateStatus status)
    {
        Interlocked.Increment(ref StatusesReceived);
        lock (_gate)
        {
            if (!_connections.TryGetValue(nodeId, out var c) || !ReferenceEquals(c, token)) return;
            c.Status = status;
            Signal_NeedsLock();
        }
    }

    internal void Detach(string nodeId, object token)
    {
        lock (_gate)
        {
            if (_connections.TryGetValue(nodeId, out var c) && ReferenceEquals(c, token))
            {
                _connections.Remove(nodeId);
                Signal_NeedsLock();
            }
        }
    }

    /// <summary>
    /// Sends a command on the node's stream. A write that fails or times out (the stream broke, the UM stopped reading)
    /// is <see cref="UmUnavailableException"/>, as is a node that is not back within <see cref="ReconnectGrace"/>.
    /// </summary>
    /// <remarks>
    /// A command whose write failed goes once more on the node's next stream, if one comes within the grace: the UM
    /// answers a repeated command with its current status, so a command it did receive before its stream broke is not
    /// run twice.
    /// </remarks>
    public async Task SendAsync(string nodeId, CMMessages message, CancellationToken ct)
    {
        Connection? failed = null;
        Exception? failure = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var c = await ConnectionAsync(nodeId, failed, ct);
            if (c is null) throw new UmUnavailableException(nodeId, failure);
            try
            {
                await c.Send(message, ct);
                return;
            }
            catch (Exception e) when (e is RpcException or TimeoutException or IOException or InvalidOperationException or ObjectDisposedException ||
                                      e is OperationCanceledException && !ct.IsCancellationRequested)
            {
                (failed, failure) = (c, e);
            }
        }
        throw new UmUnavailableException(nodeId, failure);
    }

    /// <summary>The node's connection other than <paramref name="not"/>, waiting up to <see cref="ReconnectGrace"/> for one.</summary>
    private async Task<Connection?> ConnectionAsync(string nodeId, Connection? not, CancellationToken ct)
    {
        Connection? Current()
        {
            lock (_gate) return _connections.TryGetValue(nodeId, out var c) && !ReferenceEquals(c, not) ? c : null;
        }
        var c = Current();
        if (c is not null || ReconnectGrace <= TimeSpan.Zero) return c;
        try { await WaitAsync(_ => Current() is not null, ReconnectGrace, $"UM '{nodeId}' to reconnect", ct); }
        catch (TimeoutException) { }
        return Current();
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the statuses of the connected UMs, or the timeout passes.</summary>
    public async Task<IReadOnlyDictionary<string, UpdateStatus>> WaitAsync(
        Func<IReadOnlyDictionary<string, UpdateStatus>, bool> condition, TimeSpan timeout, string what, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + timeout;
        while (true)
        {
            Task changed;
            IReadOnlyDictionary<string, UpdateStatus> statuses;
            lock (_gate)
            {
                changed = _changed.Task;
                statuses = _connections.ToDictionary(c => c.Key, c => c.Value.Status);
            }
            if (condition(statuses)) return statuses;
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero) throw new TimeoutException($"timed out after {timeout} waiting for {what}; UMs: {Describe(statuses)}");
            try { await changed.WaitAsync(left, time, ct); }
            catch (TimeoutException) { }
        }
    }

    public static string Describe(IReadOnlyDictionary<string, UpdateStatus> statuses) =>
        statuses.Count == 0 ? "none connected" : string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value.UpdateState}"));

    private void Signal_NeedsLock()
    {
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Connection(Func<CMMessages, CancellationToken, ValueTask> send, string peer, DateTimeOffset since)
    {
        public Func<CMMessages, CancellationToken, ValueTask> Send { get; } = send;
        public string Peer { get; } = peer;
        public DateTimeOffset Since { get; } = since;
        public UpdateStatus Status { get; set; } = new();
    }
}

public sealed class UmUnavailableException(string nodeId, Exception? inner = null)
    : Exception($"UM '{nodeId}' is not connected", inner)
{
    public string NodeId { get; } = nodeId;
}

/// <summary>A registration the CM refused: when, from where, for which node (when it got that far), and why.</summary>
public sealed record Refusal(DateTimeOffset Time, string Peer, string? Node, string Reason)
{
    public override string ToString() => $"{Peer}{(Node is null ? "" : $" as '{Node}'")}: {Reason}";
}
