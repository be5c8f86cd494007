using FsCheck;
using FsCheck.Fluent;
using HilRig.Capture.Decoding.Transport;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding.Tcp;

/// <summary>
/// Random streams cut into random segments, then permuted, duplicated, re-cut and partly dropped, fed from random ISNs
/// (a quarter of them within 4 KiB of 2^32 so the stream wraps). Each property states how many inputs it tries.
/// </summary>
public class TcpReassemblerPropertyTests
{
    private const int Inputs = 1000;

    private sealed record Scenario(uint Isn, byte[] Stream, (int Start, int Length)[] Segments, int Seed);

    private static Gen<uint> Isns => Gen.OneOf(Gen.Choose(0, int.MaxValue).Select(i => (uint)i * 2), Gen.Choose(1, 4096).Select(i => (uint)(0x1_0000_0000L - i)));

    /// <summary>Segments in sending order that cover the stream, plus retransmissions (re-cut, overlapping) of random ranges.</summary>
    private static Gen<Scenario> Scenarios =>
        from isn in Isns
        from length in Gen.Choose(1, 6000)
        from seed in Gen.Choose(0, int.MaxValue)
        select Build(isn, length, seed);

    private static Scenario Build(uint isn, int length, int seed)
    {
        var random = new Random(seed);
        var stream = new byte[length];
        random.NextBytes(stream);
        var segments = new List<(int, int)>();
        for (var at = 0; at < length;)
        {
            var n = Math.Min(length - at, random.Next(1, 1500));
            segments.Add((at, n));
            at += n;
        }
        var retransmissions = random.Next(0, segments.Count + 1);
        for (var i = 0; i < retransmissions; i++)
        {
            var start = random.Next(0, length);
            segments.Add((start, random.Next(1, length - start + 1)));
        }
        return new Scenario(isn, stream, [.. segments], seed);
    }

    private static (TcpReassembler, RecordingSink) Open(uint isn, int maxPending = TcpReassembler.DefaultMaxPendingBytes)
    {
        var sink = new RecordingSink();
        var r = new TcpReassembler(sink, maxPendingBytes: maxPending);
        r.OnSegment(isn, TcpFlags.Syn, default);
        return (r, sink);
    }

    private static void Feed(TcpReassembler r, Scenario s, IEnumerable<(int Start, int Length)> order, Func<int, byte[]>? content = null)
    {
        foreach (var (start, length) in order)
            r.OnSegment(s.Isn + 1 + (uint)start, TcpFlags.Ack, (content?.Invoke(start) ?? s.Stream).AsSpan(start, length));
    }

    [Test, Description("1000 random streams: any permutation with duplicates and overlapping retransmissions reassembles to the original")]
    public void AnyPermutationWithDuplicates_ReassemblesToTheOriginalBytes()
    {
        Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            var (r, sink) = Open(s.Isn);
            var shuffled = s.Segments.ToArray();
            new Random(s.Seed).Shuffle(shuffled);
            Feed(r, s, shuffled);
            return sink.Bytes.AsSpan().SequenceEqual(s.Stream) && sink.Gaps.Count == 0 && r.PendingBytes == 0
                && r.NextSequence == s.Isn + 1 + (uint)s.Stream.Length;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Inputs));
    }

    [Test, Description("1000 random streams whose copies differ: each byte comes from the first segment to carry it")]
    public void ConflictingCopies_FirstCopyOfEachByteWins()
    {
        Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            var (r, sink) = Open(s.Isn);
            var order = s.Segments.ToArray();
            new Random(s.Seed).Shuffle(order);
            // Copy k of the stream differs from every other copy: byte = k.
            var copies = order.Select((_, k) => Enumerable.Repeat((byte)k, s.Stream.Length).ToArray()).ToArray();
            var expected = new int[s.Stream.Length];
            Array.Fill(expected, -1);
            for (var k = 0; k < order.Length; k++)
                for (var i = order[k].Start; i < order[k].Start + order[k].Length; i++)
                    if (expected[i] < 0) expected[i] = (byte)k;
            for (var k = 0; k < order.Length; k++) r.OnSegment(s.Isn + 1 + (uint)order[k].Start, TcpFlags.Ack, copies[k].AsSpan(order[k].Start, order[k].Length));
            return sink.Bytes.Select(b => (int)b).SequenceEqual(expected);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Inputs));
    }

    [Test, Description("1000 random streams with segments dropped and small bounds: bytes land at their true offsets, gaps cover the rest, memory stays bounded")]
    public void DroppedSegments_GapsAccountedBytesInPlace_Bounded([Values(64, 1024, TcpReassembler.DefaultMaxPendingBytes)] int maxPending)
    {
        Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            var (r, sink) = Open(s.Isn, maxPending);
            var random = new Random(s.Seed);
            var kept = s.Segments.Where(_ => random.Next(4) != 0).ToArray();
            random.Shuffle(kept);
            var bounded = true;
            foreach (var segment in kept)
            {
                Feed(r, s, [segment]);
                bounded &= r.PendingBytes <= maxPending;
            }
            r.Flush();
            var end = kept.Length == 0 ? 0 : kept.Max(k => k.Start + k.Length);
            var inPlace = sink.Runs.All(run => run.Bytes.AsSpan().SequenceEqual(s.Stream.AsSpan((int)run.Offset, run.Bytes.Length)));
            return bounded && inPlace && sink.Position == end && r.Delivered + r.Lost == end && r.PendingBytes == 0;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Inputs));
    }
}
