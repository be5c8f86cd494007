using HilRig.AbUpdate.Delta;
using HilRig.Storage;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class ByteDiffTests
{
    private static int[] Naive(byte[] text) =>
        Enumerable.Range(0, text.Length).OrderBy(i => i, Comparer<int>.Create((a, b) => text.AsSpan(a).SequenceCompareTo(text.AsSpan(b)))).ToArray();

    [Test]
    public void Suffix_arrays_match_a_plain_sort_on_random_repetitive_and_tiny_texts()
    {
        var rng = new SeededRng(42);
        List<byte[]> texts = [[], [7], [1, 1], [2, 1], "mississippi"u8.ToArray(), new byte[300], "abababababab"u8.ToArray()];
        for (var t = 0; t < 60; t++)
        {
            var text = new byte[1 + rng.Next(2000)];
            var alphabet = 1 + rng.Next(t % 2 == 0 ? 4 : 256);
            for (var i = 0; i < text.Length; i++) text[i] = (byte)rng.Next(alphabet);
            if (t % 3 == 0)   // long repeats: deep recursion of the reduced strings
                for (var i = 64; i < text.Length; i++) text[i] = text[i % 64];
            texts.Add(text);
        }
        foreach (var text in texts)
            Assert.That(SuffixArray.Build(text), Is.EqualTo(Naive(text)), $"text of {text.Length} bytes: {Convert.ToHexString(text.AsSpan(0, Math.Min(16, text.Length)))}…");
    }

    private static byte[] Apply(ByteDiff diff, byte[] old)
    {
        var output = new byte[diff.OutputLength];
        ByteDiff.Apply(diff.Controls, diff.DiffBytes, diff.ExtraBytes, old.Length, (o, b) => old.AsSpan((int)o, b.Length).CopyTo(b), output,
            (k, why) => throw new InvalidDataException($"step {k}: {why}"));
        return output;
    }

    [Test]
    public void A_patch_rebuilds_the_new_bytes_and_costs_little_for_small_edits()
    {
        var rng = new SeededRng(7);
        for (var round = 0; round < 20; round++)
        {
            var old = Ext4Images.Binary((ulong)round, 5_000 + rng.Next(50_000));
            var edited = new List<byte>(old);
            for (var e = 0; e < 10; e++)
            {
                var at = rng.Next(edited.Count);
                switch (rng.Next(3))
                {
                    case 0: edited[at] ^= 0x40; break;
                    case 1: edited.InsertRange(at, Enumerable.Range(0, rng.Next(200)).Select(i => (byte)(i * 7))); break;
                    default: edited.RemoveRange(at, Math.Min(rng.Next(200), edited.Count - at)); break;
                }
            }
            var updated = edited.ToArray();
            var diff = ByteDiff.Create(old, SuffixArray.Build(old), updated);
            Assert.That(Apply(diff, old), Is.EqualTo(updated));
            Assert.That(diff.ExtraBytes.Length, Is.LessThan(3_000), "only inserted bytes are new");
        }
        var fresh = Ext4Images.Binary(99, 10_000);
        Assert.That(Apply(ByteDiff.Create([], [], fresh), []), Is.EqualTo(fresh));
        Assert.That(Apply(ByteDiff.Literal(fresh), []), Is.EqualTo(fresh));
    }

    [Test]
    public void Steps_that_read_past_the_old_bytes_or_write_past_the_output_are_refused_with_their_index()
    {
        var old = new byte[100];
        var e = Assert.Throws<InvalidDataException>(() => ByteDiff.Apply([new DiffControl(50, 0, 60), new DiffControl(50, 0, 0)], new byte[100], [], old.Length,
            (o, b) => old.AsSpan((int)o, b.Length).CopyTo(b), new byte[100], (k, why) => throw new InvalidDataException($"step {k}: {why}")))!;
        Assert.That(e.Message, Is.EqualTo("step 1: step 1 reads old bytes 110..160, outside the 100-byte source"));
        e = Assert.Throws<InvalidDataException>(() => ByteDiff.Apply([new DiffControl(0, 20, 0)], [], new byte[20], 0, (_, _) => { }, new byte[10],
            (k, why) => throw new InvalidDataException($"step {k}: {why}")))!;
        Assert.That(e.Message, Does.StartWith("step 0: step 0 copies 20 extra bytes at output offset 0, past the output (10)"));
    }

    [Test]
    public void Sparse_runs_cover_the_bytes_and_skip_long_zero_stretches()
    {
        byte[] data = [0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 7, 0, 0];
        var runs = SparseRuns.Of(data);
        Assert.That(runs, Is.EqualTo(new List<(int, int)> { (5, 3), (6, 1), (2, 0) }));
        Assert.That(runs.Sum(r => r.Zeros + r.Literals), Is.EqualTo(data.Length));
        Assert.That(SparseRuns.Of([]), Is.Empty);
        Assert.That(SparseRuns.Of([1, 2]), Is.EqualTo(new List<(int, int)> { (0, 2) }));
    }
}
