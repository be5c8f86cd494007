using System.Buffers;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Transport;

/// <summary>
/// Reassembles one direction of a TCP connection into the byte stream the application sent, as the receiver saw it:
/// every byte once, the first captured copy of it winning (RFC 9293 §3.10.7.4 lets a receiver keep either; Wireshark
/// keeps the first), out-of-order segments held until the gap before them fills.
/// </summary>
/// <remarks>
/// Sequence numbers compare in 32-bit serial arithmetic (RFC 1982), so wrap-around is invisible; held segments are keyed
/// by a 64-bit stream offset instead. A SYN consumes one sequence number. A stream whose SYN was not captured starts at
/// its first data segment or at the first acknowledgement the peer sent for it, never at an empty segment, which may be
/// a keep-alive at seq−1. A gap the capture never fills is given up — its bytes reported to the sink as missing and the
/// data after it delivered — when the peer acknowledges beyond it (the receiver had the bytes, so no retransmission will
/// come: Wireshark's follow-stream uses the same rule), when holding more would exceed this stream's or the capture's
/// <see cref="TcpBufferBudget"/>, on RST, and at the end of the capture (<see cref="Flush"/>). In-order data with
/// nothing held is passed to the sink straight from the frame; held bytes live in pooled buffers. A hole is reported
/// once, just before the bytes after it (or at <see cref="Flush"/>), however many acknowledgements it took to give it
/// up, as tshark's follow-stream reports it.
/// </remarks>
public sealed class TcpReassembler
{
    /// <summary>Out-of-order bytes held per direction before the oldest gap is declared lost (a large receive window).</summary>
    public const int DefaultMaxPendingBytes = 4 * 1024 * 1024;

    /// <summary>Held pieces per direction: bounds bookkeeping when a stream arrives as many tiny out-of-order segments.</summary>
    public const int MaxPendingSegments = 4096;

    /// <summary>An acknowledgement further ahead than this is not believed: no TCP window is larger (RFC 7323 §2.3).</summary>
    private const int MaxWindow = 1 << 30;

    /// <summary>
    /// How far ahead of a SYN captured late the data already placed may start for it to count as the same connection.
    /// Data overtakes its SYN only by reordering within the first flight, far below this; a new connection on the same
    /// ports has a random ISN, which a window as large as <see cref="MaxWindow"/> would take for a late copy one time in four.
    /// </summary>
    private const int MaxSynReorder = 1 << 20;

    private readonly ITcpStreamSink _sink;
    private readonly TcpBufferBudget _budget;
    private readonly int _maxPendingBytes;

    /// <summary>Held pieces by stream offset; they never overlap and all start after <see cref="_offset"/>.</summary>
    private SortedList<long, Held>? _pending;
    private int _pendingBytes;
    private bool _started;
    private bool _synSeen;
    private bool _finSeen;
    private bool _reset;
    private uint _isn;
    private uint _fin;
    private uint _next;
    private uint _startSequence;
    private long _offset;
    private long _unreportedGapAt;
    private long _unreportedGap;

    public TcpReassembler(ITcpStreamSink sink, TcpBufferBudget? budget = null, int maxPendingBytes = DefaultMaxPendingBytes)
    {
        _sink = sink;
        _budget = budget ?? new TcpBufferBudget();
        _maxPendingBytes = maxPendingBytes;
    }

    /// <summary>Whether the stream's place in sequence space is known yet.</summary>
    public bool Started => _started;

    /// <summary>The ISN of the captured SYN, if one was captured.</summary>
    public uint? InitialSequence => _synSeen ? _isn : null;

    /// <summary>Next expected sequence number.</summary>
    public uint NextSequence => _next;

    /// <summary>Bytes delivered in order so far.</summary>
    public long Delivered { get; private set; }

    /// <summary>Bytes skipped because the capture never held them (gaps given up).</summary>
    public long Lost { get; private set; }

    /// <summary>Out-of-order bytes held now.</summary>
    public int PendingBytes => _pendingBytes;

    /// <summary>True once the stream reached its FIN or was reset: nothing more will come.</summary>
    public bool Finished => _reset || (_started && _finSeen && _next == _fin);

    /// <summary>Takes one segment of this direction and says what it was; new in-order bytes go to the sink.</summary>
    public TcpAnalysis OnSegment(uint sequence, TcpFlags flags, ReadOnlySpan<byte> payload)
    {
        var syn = (flags & TcpFlags.Syn) != 0;
        var fin = (flags & TcpFlags.Fin) != 0;
        var analysis = TcpAnalysis.None;
        if (syn)
        {
            if (_synSeen && sequence == _isn) analysis = TcpAnalysis.Retransmission;
            else if (!_synSeen && _started && (uint)(_startSequence - (sequence + 1)) <= MaxSynReorder)
            {
                // The SYN (or SYN-ACK) was captured after data that follows it, as reordering on the path can do:
                // the same connection, already placed.
                _synSeen = true;
                _isn = sequence;
                analysis = TcpAnalysis.OutOfOrder;
            }
            else
            {
                // A SYN with another ISN is a new connection on the same ports.
                if (_started) Reset();
                _synSeen = true;
                _isn = sequence;
                Anchor(sequence + 1);
            }
            sequence++;
        }
        else if (!_started)
        {
            // An empty segment cannot place a stream whose SYN was missed: it may be a keep-alive at seq-1.
            if (payload.IsEmpty) return TcpAnalysis.None;
            Anchor(sequence);
        }

        if ((flags & TcpFlags.Rst) != 0)
        {
            // RST data is a diagnostic, not stream bytes (RFC 9293 §3.5.3); nothing will be retransmitted after it.
            Flush();
            _reset = true;
            return TcpAnalysis.None;
        }
        if (fin)
        {
            var end = sequence + (uint)payload.Length;
            if (_finSeen && end == _fin && payload.IsEmpty && analysis == TcpAnalysis.None) analysis = TcpAnalysis.Retransmission;
            _finSeen = true;
            _fin = end;
        }
        if (_reset) return analysis;

        var delta = (int)(sequence - _next);
        if (!syn && !fin && payload.Length <= 1 && delta == -1) return TcpAnalysis.KeepAlive;
        if (payload.IsEmpty) return analysis;
        if (delta + payload.Length <= 0) return TcpAnalysis.Retransmission;
        var accepted = Accept(_offset + delta, payload);
        if (analysis != TcpAnalysis.None) return analysis;
        if (delta > 0) return accepted ? TcpAnalysis.OutOfOrder : TcpAnalysis.Retransmission;
        return delta < 0 ? TcpAnalysis.PartialRetransmission : TcpAnalysis.None;
    }

    /// <summary>
    /// The peer acknowledged everything before <paramref name="acknowledgment"/>: a stream not yet placed starts there,
    /// and bytes before it the capture does not hold will never come, so they are given up as a gap.
    /// </summary>
    public void OnAcknowledged(uint acknowledgment)
    {
        if (_reset) return;
        if (!_started)
        {
            Anchor(acknowledgment);
            return;
        }
        var delta = (int)(acknowledgment - _next);
        if (delta <= 0 || delta > MaxWindow) return;
        var target = _offset + delta;
        // The FIN takes a sequence number but is not a byte.
        if (_finSeen) target = Math.Min(target, _offset + (int)(_fin - _next));
        AdvanceTo(target);
    }

    /// <summary>Gives up every gap and delivers all held bytes: at RST and at the end of the capture.</summary>
    public void Flush()
    {
        while (_pending is { Count: > 0 }) AdvanceTo(_pending.Keys[0]);
        ReportGap();
    }

    /// <summary>Forgets the stream, returning held buffers to the pool without delivering them.</summary>
    public void Reset()
    {
        if (_pending is not null)
        {
            foreach (var held in _pending.Values) ArrayPool<byte>.Shared.Return(held.Buffer);
            _budget.Give(_pendingBytes);
            _pending.Clear();
        }
        _pendingBytes = 0;
        _unreportedGap = 0;
        _started = _synSeen = _finSeen = _reset = false;
        _offset = 0;
    }

    private void Anchor(uint sequence)
    {
        _started = true;
        _startSequence = sequence;
        _next = sequence;
    }

    /// <summary>Takes bytes starting at stream offset <paramref name="start"/>; true if any of them were new.</summary>
    private bool Accept(long start, ReadOnlySpan<byte> data)
    {
        var anyNew = false;
        while (true)
        {
            if (start < _offset)
            {
                var seen = _offset - start;
                if (seen >= data.Length) return anyNew;
                data = data[(int)seen..];
                start = _offset;
            }
            var firstHeld = FirstHeld;
            if (start == _offset)
            {
                var direct = (int)Math.Min(data.Length, firstHeld - _offset);
                if (direct > 0)
                {
                    Deliver(data[..direct]);
                    data = data[direct..];
                    start += direct;
                    anyNew = true;
                }
                // Whatever overlaps held bytes keeps the held (earlier) copy.
                if (!data.IsEmpty) anyNew |= Hold(start, data);
                Drain();
                return anyNew;
            }
            if (HasRoomFor(data.Length)) return Hold(start, data) || anyNew;
            // No room: give up the oldest gap, which may make these bytes in-order.
            AdvanceTo(Math.Min(firstHeld, start));
        }
    }

    private bool HasRoomFor(int length) =>
        _pendingBytes + length <= _maxPendingBytes
        && (_pending?.Count ?? 0) < MaxPendingSegments
        && _budget.HeldBytes + length <= _budget.MaxBytes;

    /// <summary>Holds the parts of [start, start+data) no held piece covers yet; true if there were any.</summary>
    private bool Hold(long start, ReadOnlySpan<byte> data)
    {
        _pending ??= new SortedList<long, Held>();
        var keys = _pending.Keys;
        var values = _pending.Values;
        var end = start + data.Length;
        var cursor = start;
        var added = false;
        // The first piece that could overlap: the last one starting at or before start.
        var i = LastAtOrBefore(keys, start);
        if (i < 0) i = 0;
        for (; i < keys.Count && cursor < end; i++)
        {
            var pieceStart = keys[i];
            var pieceEnd = pieceStart + values[i].Length;
            if (pieceEnd <= cursor) continue;
            if (pieceStart >= end) break;
            if (pieceStart > cursor)
            {
                Insert(cursor, data.Slice((int)(cursor - start), (int)(pieceStart - cursor)));
                added = true;
                i++; // the new piece sits at i; the existing one moved to i+1
            }
            cursor = Math.Max(cursor, pieceEnd);
        }
        if (cursor < end)
        {
            Insert(cursor, data[(int)(cursor - start)..]);
            added = true;
        }
        return added;
    }

    private static int LastAtOrBefore(IList<long> keys, long value)
    {
        int lo = 0, hi = keys.Count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (keys[mid] <= value)
            {
                found = mid;
                lo = mid + 1;
            }
            else hi = mid - 1;
        }
        return found;
    }

    private void Insert(long start, ReadOnlySpan<byte> bytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer);
        _pending!.Add(start, new Held(buffer, bytes.Length));
        _pendingBytes += bytes.Length;
        _budget.Take(bytes.Length);
    }

    /// <summary>Delivers held pieces while they continue the stream.</summary>
    private void Drain()
    {
        while (_pending is { Count: > 0 } && _pending.Keys[0] == _offset)
        {
            var held = _pending.Values[0];
            _pending.RemoveAt(0);
            _pendingBytes -= held.Length;
            _budget.Give(held.Length);
            Deliver(held.Buffer.AsSpan(0, held.Length));
            ArrayPool<byte>.Shared.Return(held.Buffer);
        }
    }

    /// <summary>Moves the stream to <paramref name="target"/>: held bytes before it are delivered, the rest reported missing.</summary>
    /// <remarks>Held pieces all start after <see cref="_offset"/>, so each turn skips a hole of at least one byte.</remarks>
    private void AdvanceTo(long target)
    {
        while (_offset < target)
        {
            var length = Math.Min(target, FirstHeld) - _offset;
            if (_unreportedGap == 0) _unreportedGapAt = _offset;
            _unreportedGap += length;
            Lost += length;
            _offset += length;
            _next += (uint)length;
            Drain();
        }
    }

    /// <summary>Stream offset of the first held piece; <see cref="long.MaxValue"/> when nothing is held.</summary>
    private long FirstHeld => _pending is { Count: > 0 } ? _pending.Keys[0] : long.MaxValue;

    /// <summary>Reports the hole given up so far, once, however many acknowledgements it took to give it up.</summary>
    private void ReportGap()
    {
        if (_unreportedGap == 0) return;
        var length = _unreportedGap;
        _unreportedGap = 0;
        _sink.OnGap(_unreportedGapAt, length);
    }

    private void Deliver(ReadOnlySpan<byte> bytes)
    {
        ReportGap();
        _offset += bytes.Length;
        _next += (uint)bytes.Length;
        Delivered += bytes.Length;
        _sink.OnBytes(bytes);
    }

    private readonly record struct Held(byte[] Buffer, int Length);
}
