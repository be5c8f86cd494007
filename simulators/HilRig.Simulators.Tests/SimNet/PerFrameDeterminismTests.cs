using System.Buffers.Binary;
using HilRig.Capture.Decoding;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;
using static HilRig.Simulators.Tests.SimNet.TestFrames;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// A seed reproduces SimNet's decision for each frame — lost, duplicated, delayed by how much, corrupted where — from the
/// link, the frame's flow and its place in that flow, not from the order frames of different flows happen to arrive in.
/// Real traffic interleaves differently on every run (scheduling, the guest's own timing); the decisions must not.
/// </summary>
public class PerFrameDeterminismTests
{
    private const int PerFlow = 400;

    /// <summary>Two UDP flows a → b through one impaired link; returns what b got, as (source port, sequence, first bytes).</summary>
    private static List<string> Play(ulong seed, bool interleaved, LinkImpairment impairment)
    {
        var time = new ManualTimeProvider();
        using var sw = new SimNetSwitch(new SimNetOptions { Seed = seed, Time = time });
        var a = sw.AddPort(new RecordingPort("a", time));
        var b = sw.AddPort(new RecordingPort("b", time));
        sw.OnFrame(b, Udp(MacAddress.Broadcast, B, -1));
        sw.Impair("a", "b", impairment);
        IEnumerable<(ushort Port, int Sequence)> order = interleaved
            ? Enumerable.Range(0, PerFlow).SelectMany(i => new[] { ((ushort)4000, i), ((ushort)4001, i) })
            : Enumerable.Range(0, PerFlow).Select(i => ((ushort)4000, i)).Concat(Enumerable.Range(0, PerFlow).Select(i => ((ushort)4001, i)));
        foreach (var (port, sequence) in order) sw.OnFrame(a, Udp(B, A, sequence, 64, port));
        time.Advance(TimeSpan.FromSeconds(10));
        return b.Sent.Select(s => s.Frame).Where(f => SequenceOf(f) >= 0)
            .Select(f => $"{BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(34))}/{SequenceOf(f)}/{Convert.ToHexString(f.AsSpan(14, 40))}")
            .Order(StringComparer.Ordinal).ToList();
    }

    private static readonly LinkImpairment Lossy = new()
    {
        Loss = 0.2, Duplicate = 0.1, Corrupt = 0.1, Delay = TimeSpan.FromMilliseconds(20), Jitter = TimeSpan.FromMilliseconds(10),
    };

    [Test]
    public void SameSeed_FlowsInterleavedDifferently_SameFramesLostDuplicatedAndCorrupted()
    {
        var first = Play(20261203, interleaved: true, Lossy);
        var replay = Play(20261203, interleaved: false, Lossy);
        Assert.That(replay, Is.EqualTo(first));
        Assert.That(first.Count, Is.LessThan(2 * PerFlow * 0.95).And.GreaterThan(2 * PerFlow * 0.6), "the link really lost frames");
    }

    [Test]
    public void SameSeed_BurstLoss_FlowsInterleavedDifferently_SameFramesLost()
    {
        var bursty = new LinkImpairment { BurstLoss = new GilbertElliott(0.05, 0.3) };
        Assert.That(Play(7, interleaved: false, bursty), Is.EqualTo(Play(7, interleaved: true, bursty)));
    }

    [Test]
    public void OtherSeed_OtherFramesLost()
    {
        Assert.That(Play(1, interleaved: true, Lossy), Is.Not.EqualTo(Play(2, interleaved: true, Lossy)));
    }
}
