namespace HilRig.Capture.Decoding.Transport;

using HilRig.Capture.Events;

/// <summary>
/// Reassembles one direction of a TCP connection into the byte stream the application sent:
/// retransmitted bytes are dropped, out-of-order segments wait until the gap before them fills.
/// Sequence numbers compare in 32-bit serial arithmetic (RFC 1982), so wrap-around is handled.
/// </summary>
public sealed class TcpReassembler
{
    /// <summary>Out-of-order bytes held per direction before the gap is declared lost.</summary>
    public const int MaxPendingBytes = 4 * 1024 * 1024;

    private readonly Dictionary<uint, byte[]> _pending = new();
    private int _pendingBytes;
    private bool _started;
    private uint _next;

    /// <summary>Next expected sequence number.</summary>
    public uint NextSequence => _next;

    /// <summary>Bytes delivered in order so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Bytes skipped because the capture never held them (a gap declared lost).</summary>
    public long Lost { get; private set; }

    /// <summary>
    /// Takes one segment; calls <paramref name="deliver"/> with each in-order run of new bytes (possibly
    /// several when the segment closes a gap). Returns what the segment was.
    /// </summary>
    public TcpAnalysis OnSegment(uint sequence, bool syn, ReadOnlySpan<byte> payload, DeliverBytes deliver)
    {
        if (syn)
        {
            _started = true;
            _next = sequence + 1;
            sequence++;
            if (payload.IsEmpty) return TcpAnalysis.None;
        }
        if (!_started)
        {
            _started = true;
            _next = sequence;
        }
        if (payload.IsEmpty) return TcpAnalysis.None;

        var delta = (int)(sequence - _next);
        if (delta + payload.Length <= 0) return TcpAnalysis.Retransmission;
        if (delta > 0)
        {
            if (!_pending.TryGetValue(sequence, out var existing) || existing.Length < payload.Length)
            {
                _pendingBytes += payload.Length - (existing?.Length ?? 0);
                _pending[sequence] = payload.ToArray();
            }
            if (_pendingBytes > MaxPendingBytes) SkipGap(deliver);
            return TcpAnalysis.OutOfOrder;
        }
        var analysis = delta < 0 ? TcpAnalysis.PartialRetransmission : TcpAnalysis.None;
        var fresh = payload[(-delta)..];
        _next += (uint)fresh.Length;
        Delivered += fresh.Length;
        deliver(fresh);
        Drain(deliver);
        return analysis;
    }

    /// <summary>Declares the bytes before the earliest held segment lost and continues from there.</summary>
    public void SkipGap(DeliverBytes deliver)
    {
        if (_pending.Count == 0) return;
        var earliest = _pending.Keys.MinBy(k => (int)(k - _next));
        Lost += (uint)(earliest - _next);
        _next = earliest;
        Drain(deliver);
    }

    private void Drain(DeliverBytes deliver)
    {
        var progressed = true;
        while (progressed && _pending.Count > 0)
        {
            progressed = false;
            foreach (var (seq, bytes) in _pending)
            {
                var delta = (int)(seq - _next);
                if (delta > 0) continue;
                _pending.Remove(seq);
                _pendingBytes -= bytes.Length;
                if (delta + bytes.Length > 0)
                {
                    var fresh = bytes.AsSpan(-delta);
                    _next += (uint)fresh.Length;
                    Delivered += fresh.Length;
                    deliver(fresh);
                }
                progressed = true;
                break;
            }
        }
    }

    public delegate void DeliverBytes(ReadOnlySpan<byte> bytes);
}
