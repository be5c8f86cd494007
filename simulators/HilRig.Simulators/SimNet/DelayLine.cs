using System.Buffers;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Frames waiting for their due time (delay, jitter, rate limit, reordering): a priority queue ordered by
/// (due timestamp, arrival sequence) and one <see cref="TimeProvider"/> timer armed for the earliest,
/// so unit tests drive it in virtual time. Frame bytes live in pooled arrays, returned after delivery.
/// </summary>
internal sealed class DelayLine : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Action<PendingFrame> _deliver;
    private readonly object _gate = new();
    private readonly PriorityQueue<PendingFrame, (long Due, long Sequence)> _queue = new();
    private readonly ITimer _timer;
    private readonly List<PendingFrame> _due = new();
    private long _sequence;
    private long _armedFor = long.MaxValue;
    private bool _disposed;

    public DelayLine(TimeProvider time, Action<PendingFrame> deliver)
    {
        _time = time;
        _deliver = deliver;
        _timer = time.CreateTimer(_ => Drain(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public int Count
    {
        get { lock (_gate) return _queue.Count; }
    }

    /// <summary>Takes ownership of <paramref name="frame"/>'s rented buffer.</summary>
    public void Schedule(PendingFrame frame, long dueTimestamp)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                ArrayPool<byte>.Shared.Return(frame.Buffer);
                frame.Link.LeaveDelayLine();
                return;
            }
            _queue.Enqueue(frame, (dueTimestamp, _sequence++));
            if (dueTimestamp < _armedFor) Arm_NeedsLock(dueTimestamp);
        }
    }

    private void Arm_NeedsLock(long due)
    {
        _armedFor = due;
        var wait = _time.GetElapsedTime(_time.GetTimestamp(), due);
        _timer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait, Timeout.InfiniteTimeSpan);
    }

    private void Drain()
    {
        // One drain at a time keeps the delivery order equal to the queue order.
        lock (_due)
        {
            lock (_gate)
            {
                var now = _time.GetTimestamp();
                while (!_disposed && _queue.TryPeek(out _, out var key) && key.Due <= now) _due.Add(_queue.Dequeue());
                _armedFor = long.MaxValue;
                if (!_disposed && _queue.TryPeek(out _, out var next)) Arm_NeedsLock(next.Due);
            }
            foreach (var frame in _due)
            {
                try
                {
                    _deliver(frame);
                }
                finally
                {
                    frame.Link.LeaveDelayLine();
                    ArrayPool<byte>.Shared.Return(frame.Buffer);
                }
            }
            _due.Clear();
        }
    }

    /// <summary>Drops every waiting frame and returns once no delivery pass is running, so nothing is delivered afterwards.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
            while (_queue.TryDequeue(out var f, out _))
            {
                f.Link.LeaveDelayLine();
                ArrayPool<byte>.Shared.Return(f.Buffer);
            }
        }
        // A pass that took its frames before _disposed delivers them under _due: wait for it (after _gate, in Drain's lock order).
        lock (_due)
        {
        }
    }
}

/// <summary>A frame in the delay line: pooled bytes and where they go.</summary>
internal readonly record struct PendingFrame(byte[] Buffer, int Length, SwitchPort Destination, LinkState Link);
