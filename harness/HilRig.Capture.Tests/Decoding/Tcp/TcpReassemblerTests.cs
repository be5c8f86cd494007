using System.Text;
using HilRig.Capture.Decoding.Transport;
using HilRig.Capture.Events;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>One direction of TCP reassembly against the cases real stacks and real captures produce.</summary>
public class TcpReassemblerTests
{
    private const TcpFlags Ack = TcpFlags.Ack;
    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static (TcpReassembler Reassembler, RecordingSink Sink) Create(uint? syn = null, int maxPending = TcpReassembler.DefaultMaxPendingBytes, TcpBufferBudget? budget = null)
    {
        var sink = new RecordingSink();
        var r = new TcpReassembler(sink, budget, maxPending);
        if (syn is { } isn) Assert.That(r.OnSegment(isn, TcpFlags.Syn, default), Is.EqualTo(TcpAnalysis.None));
        return (r, sink);
    }

    [Test]
    public void Syn_ConsumesOneSequenceNumber()
    {
        var (r, sink) = Create(syn: 1000);
        Assert.That(r.NextSequence, Is.EqualTo(1001u));
        r.OnSegment(1001, Ack, Ascii("hello"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("hello"));
    }

    [Test]
    public void SequenceWrapAround_InOrderAndOutOfOrder_Contiguous()
    {
        var (r, sink) = Create(syn: uint.MaxValue - 5); // data starts at 2^32-5 and crosses zero
        Assert.That(r.OnSegment(2, Ack, Ascii("ghij")), Is.EqualTo(TcpAnalysis.OutOfOrder));
        Assert.That(r.OnSegment(uint.MaxValue - 4, Ack, Ascii("abcd")), Is.EqualTo(TcpAnalysis.None));
        Assert.That(r.OnSegment(0, Ack, Ascii("ef")), Is.EqualTo(TcpAnalysis.OutOfOrder), "after the 1-byte hole at 2^32-1");
        Assert.That(r.OnSegment(uint.MaxValue - 2, Ack, Ascii("XXYZ")), Is.EqualTo(TcpAnalysis.PartialRetransmission));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abcdYefghij"), "Y fills the hole; Z loses to the held e");
        Assert.That(r.NextSequence, Is.EqualTo(6u));
        Assert.That(r.PendingBytes, Is.Zero);
    }

    [Test]
    public void RetransmittedSyn_AfterData_DoesNotRewindTheStream()
    {
        var (r, sink) = Create(syn: 500);
        r.OnSegment(501, Ack, Ascii("one"));
        Assert.That(r.OnSegment(500, TcpFlags.Syn, default), Is.EqualTo(TcpAnalysis.Retransmission));
        Assert.That(r.OnSegment(504, Ack, Ascii("two")), Is.EqualTo(TcpAnalysis.None));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("onetwo"));
    }

    [Test]
    public void SynCapturedAfterTheDataThatFollowsIt_SameStream()
    {
        // Reordering on the path put the SYN-ACK behind the first data segment.
        var (r, sink) = Create();
        r.OnSegment(701, Ack, Ascii("first"));
        Assert.That(r.OnSegment(700, TcpFlags.Syn | Ack, default), Is.EqualTo(TcpAnalysis.OutOfOrder));
        Assert.That(r.OnSegment(701, Ack, Ascii("first")), Is.EqualTo(TcpAnalysis.Retransmission));
        r.OnSegment(706, Ack, Ascii("second"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("firstsecond"));
        Assert.That(r.InitialSequence, Is.EqualTo(700u));
    }

    [Test]
    public void SynWithAnotherIsn_StartsANewStream()
    {
        var (r, sink) = Create(syn: 500);
        r.OnSegment(501, Ack, Ascii("old"));
        r.OnSegment(9000, TcpFlags.Syn, default);
        r.OnSegment(9001, Ack, Ascii("new"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("oldnew"));
        Assert.That(r.InitialSequence, Is.EqualTo(9000u));
    }

    [Test]
    public void MidStreamCapture_ThenASynFarBehind_IsANewConnectionOnTheSamePorts()
    {
        // The capture began mid-connection (no SYN seen); a new connection reusing the ports has a random ISN, here
        // 16 MiB behind the placed data: not a late copy of this stream's SYN, which only reordering puts behind data.
        var (r, sink) = Create();
        r.OnSegment(100_000_000, Ack, Ascii("old"));
        r.OnSegment(100_000_000 - (16u << 20), TcpFlags.Syn, default);
        Assert.That(r.InitialSequence, Is.EqualTo(100_000_000u - (16u << 20)));
        r.OnSegment(100_000_001 - (16u << 20), Ack, Ascii("new"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("oldnew"));
    }

    [Test]
    public void PartialRetransmission_DeliversOnlyTheNewTail()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack, Ascii("abcd"));
        Assert.That(r.OnSegment(3, Ack, Ascii("XXef")), Is.EqualTo(TcpAnalysis.PartialRetransmission));
        Assert.That(r.OnSegment(1, Ack, Ascii("abcdef")), Is.EqualTo(TcpAnalysis.Retransmission));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abcdef"));
    }

    [Test]
    public void HeldSegment_LaterLongerCopy_FirstCopyWinsWhereTheyOverlap()
    {
        var (r, sink) = Create(syn: 0);
        Assert.That(r.OnSegment(5, Ack, Ascii("EFGH")), Is.EqualTo(TcpAnalysis.OutOfOrder));
        Assert.That(r.OnSegment(5, Ack, Ascii("xxxxIJ")), Is.EqualTo(TcpAnalysis.OutOfOrder), "only IJ is new");
        Assert.That(r.OnSegment(3, Ack, Ascii("yyyyyy")), Is.EqualTo(TcpAnalysis.OutOfOrder), "only the 2 bytes before EFGH are new");
        Assert.That(r.OnSegment(5, Ack, Ascii("zzzzzz")), Is.EqualTo(TcpAnalysis.Retransmission));
        // In-order data overlapping held bytes: the held copy (earlier) wins there too.
        Assert.That(r.OnSegment(1, Ack, Ascii("ABwwwwwwww")), Is.EqualTo(TcpAnalysis.None));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("AByyEFGHIJ"));
        Assert.That(r.PendingBytes, Is.Zero);
    }

    [Test]
    public void OutOfOrder_HeldUntilTheGapFills_ThenDeliveredOnce()
    {
        var (r, sink) = Create(syn: 100);
        Assert.That(r.OnSegment(111, Ack, Ascii("kl")), Is.EqualTo(TcpAnalysis.OutOfOrder));
        Assert.That(r.OnSegment(106, Ack, Ascii("fghij")), Is.EqualTo(TcpAnalysis.OutOfOrder));
        Assert.That(sink.Bytes, Is.Empty);
        Assert.That(r.PendingBytes, Is.EqualTo(7));
        r.OnSegment(101, Ack, Ascii("abcde"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abcdefghijkl"));
        Assert.That(sink.Runs.Select(x => x.Offset), Is.EqualTo(new long[] { 0, 5, 10 }));
    }

    [Test]
    public void MidStream_EmptyKeepAliveFirst_DoesNotMisplaceTheStream()
    {
        // Capture started on an idle connection: the first segment seen is a zero-length keep-alive at seq-1.
        var (r, sink) = Create();
        Assert.That(r.OnSegment(7999, Ack, default), Is.EqualTo(TcpAnalysis.None));
        Assert.That(r.Started, Is.False);
        r.OnSegment(8000, Ack | TcpFlags.Psh, Ascii("data"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("data"));
        Assert.That(sink.Gaps, Is.Empty);
    }

    [Test]
    public void MidStream_AnchoredByPeerAcknowledgement_HoldsOutOfOrderData()
    {
        var (r, sink) = Create();
        r.OnAcknowledged(8000);
        Assert.That(r.OnSegment(8004, Ack, Ascii("5678")), Is.EqualTo(TcpAnalysis.OutOfOrder));
        r.OnSegment(8000, Ack, Ascii("1234"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("12345678"));
    }

    [Test]
    public void KeepAlive_OneOrZeroBytesAtSeqMinusOne_NotData()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack, Ascii("abc"));
        Assert.That(r.OnSegment(3, Ack, Ascii("c")), Is.EqualTo(TcpAnalysis.KeepAlive));
        Assert.That(r.OnSegment(3, Ack, default), Is.EqualTo(TcpAnalysis.KeepAlive));
        r.OnSegment(4, Ack, Ascii("d"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abcd"));
    }

    [Test]
    public void ZeroWindowProbe_ByteDeliveredOnce_WhenLaterResentInAFullSegment()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack, Ascii("ab"));
        Assert.That(r.OnSegment(3, Ack, Ascii("c")), Is.EqualTo(TcpAnalysis.None), "the probe carries the next new byte");
        Assert.That(r.OnSegment(3, Ack, Ascii("cdef")), Is.EqualTo(TcpAnalysis.PartialRetransmission));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abcdef"));
    }

    [Test]
    public void GapNeverFilled_PeerAcksBeyondIt_ReportedAndLaterDataDelivered()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack, Ascii("aaaa"));
        r.OnSegment(9, Ack, Ascii("cccc")); // bytes 5..8 never captured
        r.OnAcknowledged(13);
        Assert.That(sink.Gaps, Is.EqualTo(new[] { (4L, 4L) }));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("aaaacccc"));
        Assert.That(sink.Runs[^1].Offset, Is.EqualTo(8));
        Assert.That(r.Lost, Is.EqualTo(4));
        // The late retransmission of the lost bytes is not delivered out of place.
        Assert.That(r.OnSegment(5, Ack, Ascii("bbbb")), Is.EqualTo(TcpAnalysis.Retransmission));
        r.OnSegment(13, Ack, Ascii("d"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("aaaaccccd"));
    }

    [Test]
    public void HoleGivenUpByTwoAcks_ReportedOnceBeforeTheNextBytes()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack, Ascii("ab"));
        r.OnAcknowledged(6); // the receiver had 3 bytes the capture missed...
        r.OnAcknowledged(9); // ...then 3 more
        Assert.That(sink.Gaps, Is.Empty, "reported with the bytes after it, as one hole");
        r.OnSegment(9, Ack, Ascii("ij"));
        Assert.That(sink.Gaps, Is.EqualTo(new[] { (2L, 6L) }));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abij"));
    }

    [Test]
    public void AckOfFin_IsNotAMissingByte()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack | TcpFlags.Fin, Ascii("bye"));
        Assert.That(r.Finished, Is.True);
        r.OnAcknowledged(5);
        Assert.That(sink.Gaps, Is.Empty);
        Assert.That(r.OnSegment(4, Ack | TcpFlags.Fin, default), Is.EqualTo(TcpAnalysis.Retransmission));
    }

    [Test]
    public void Fin_OutOfOrder_FinishedOnlyOnceTheGapFills()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(3, Ack | TcpFlags.Fin, Ascii("cd"));
        Assert.That(r.Finished, Is.False);
        r.OnSegment(1, Ack, Ascii("ab"));
        Assert.That(r.Finished, Is.True);
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abcd"));
    }

    [Test]
    public void Rst_GivesUpGapsAndDeliversHeldBytes_IgnoresLaterData()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(1, Ack, Ascii("ab"));
        r.OnSegment(5, Ack, Ascii("ef"));
        r.OnSegment(7, TcpFlags.Rst, Ascii("diagnostic"));
        Assert.That(sink.Gaps, Is.EqualTo(new[] { (2L, 2L) }));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abef"));
        Assert.That(r.Finished, Is.True);
        r.OnSegment(7, Ack, Ascii("late"));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("abef"));
    }

    [Test]
    public void Flush_AtEndOfCapture_GivesUpEveryGap()
    {
        var (r, sink) = Create(syn: 0);
        r.OnSegment(3, Ack, Ascii("c"));
        r.OnSegment(6, Ack, Ascii("fg"));
        r.Flush();
        Assert.That(sink.Gaps, Is.EqualTo(new[] { (0L, 2L), (3L, 2L) }));
        Assert.That(Encoding.ASCII.GetString(sink.Bytes), Is.EqualTo("cfg"));
        Assert.That(r.PendingBytes, Is.Zero);
    }

    [Test]
    public void GapNeverFilled_NoAck_HeldBytesStayWithinThePerStreamBound()
    {
        const int bound = 1000;
        var (r, sink) = Create(syn: 0, maxPending: bound);
        var data = new byte[100];
        // Byte 1..100 lost; then 50 segments of 100 bytes keep coming.
        for (var i = 1; i <= 50; i++)
        {
            r.OnSegment((uint)(1 + i * 100), Ack, data);
            Assert.That(r.PendingBytes, Is.LessThanOrEqualTo(bound));
        }
        Assert.That(sink.Gaps, Is.EqualTo(new[] { (0L, 100L) }), "the oldest gap is given up once, then data flows in order");
        Assert.That(sink.Bytes, Has.Length.EqualTo(5000));
        Assert.That(r.PendingBytes, Is.Zero);
    }

    [Test]
    public void CaptureBudget_SharedByStreams_NeverExceeded()
    {
        var budget = new TcpBufferBudget(3000);
        var streams = Enumerable.Range(0, 4).Select(_ => Create(syn: 0, budget: budget)).ToArray();
        var data = new byte[500];
        for (var i = 1; i <= 10; i++)
        {
            foreach (var (r, _) in streams)
            {
                r.OnSegment((uint)(1 + i * 500), Ack, data);
                Assert.That(budget.HeldBytes, Is.LessThanOrEqualTo(3000));
            }
        }
        Assert.That(budget.HeldBytes, Is.EqualTo(streams.Sum(s => s.Reassembler.PendingBytes)));
        foreach (var (r, _) in streams) r.Reset();
        Assert.That(budget.HeldBytes, Is.Zero);
    }

    [Test]
    public void ManyTinyOutOfOrderSegments_PieceCountBounded()
    {
        var (r, sink) = Create(syn: 0);
        // Every other byte missing: each held piece is one byte.
        for (var i = 0; i < TcpReassembler.MaxPendingSegments + 100; i++) r.OnSegment((uint)(3 + 2 * i), Ack, [1]);
        Assert.That(r.PendingBytes, Is.LessThanOrEqualTo(TcpReassembler.MaxPendingSegments));
        Assert.That(sink.Gaps, Is.Not.Empty);
    }

    [Test]
    public void InOrderHotPath_AllocatesNothing()
    {
        var counting = new TcpReassembler(new CountingSink());
        var segment = new byte[1448];
        counting.OnSegment(0, TcpFlags.Syn, default);
        counting.OnSegment(1, Ack, segment); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i <= 1000; i++) counting.OnSegment((uint)(1 + i * 1448), Ack, segment);
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    private sealed class CountingSink : ITcpStreamSink
    {
        public long Bytes;

        public void OnBytes(ReadOnlySpan<byte> bytes) => Bytes += bytes.Length;

        public void OnGap(long streamOffset, long length) { }
    }
}
