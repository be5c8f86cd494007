using HilRig.Capture.Decoding;
using HilRig.Simulators.SimNet;
using HilRig.Testing;
using NUnit.Framework;
using static HilRig.Simulators.Tests.SimNet.TestFrames;

namespace HilRig.Simulators.Tests.SimNet;

/// <summary>
/// Impairments in virtual time: frames enter through <see cref="SimNetSwitch.OnFrame"/> (what a read loop does)
/// and the delay line runs on a <see cref="ManualTimeProvider"/>, so timing assertions are exact.
/// </summary>
public class ImpairmentTests
{
    private ManualTimeProvider _time = null!;
    private SimNetSwitch _switch = null!;
    private RecordingPort _a = null!;
    private RecordingPort _b = null!;

    [SetUp]
    public void SetUp() => (_time, _switch, _a, _b) = Build(seed: 42);

    [TearDown]
    public void TearDown() => _switch.Dispose();

    private static (ManualTimeProvider, SimNetSwitch, RecordingPort, RecordingPort) Build(ulong seed)
    {
        var time = new ManualTimeProvider();
        var sw = new SimNetSwitch(new SimNetOptions { Seed = seed, Time = time });
        var a = sw.AddPort(new RecordingPort("a", time));
        var b = sw.AddPort(new RecordingPort("b", time));
        sw.OnFrame(b, Udp(MacAddress.Broadcast, B, -1)); // learn B
        return (time, sw, a, b);
    }

    private void Send(int count, int payload = 64)
    {
        for (var i = 0; i < count; i++) _switch.OnFrame(_a, Udp(B, A, i, payload));
    }

    [Test]
    public void Delay_HoldsFramesUntilDue()
    {
        _switch.Impair("a", "b", new LinkImpairment { Delay = TimeSpan.FromMilliseconds(100) });
        Send(3);
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.That(_b.Sent, Is.Empty);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(_b.Sequences, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(_a.Sequences, Is.EqualTo(new[] { -1 }), "a only got b's broadcast from set-up");
    }

    [Test]
    public void Jitter_StaysWithinBounds_AndKeepsOrder()
    {
        _switch.Impair("a", "b", new LinkImpairment { Delay = TimeSpan.FromMilliseconds(50), Jitter = TimeSpan.FromMilliseconds(20) });
        var start = _time.GetUtcNow();
        Send(200);
        _time.Advance(TimeSpan.FromMilliseconds(29));
        Assert.That(_b.Sent, Is.Empty);
        _time.Advance(TimeSpan.FromMilliseconds(42));
        Assert.That(_b.Sequences, Is.EqualTo(Enumerable.Range(0, 200)));
        var latencies = _b.Sent.Select(s => (s.Time - start).TotalMilliseconds).ToList();
        Assert.That(latencies.Max() - latencies.Min(), Is.GreaterThan(10), "jitter actually varies the delay");
    }

    [Test]
    public void Loss_Random30Percent_ObservedWithinTolerance()
    {
        _switch.Impair("a", "b", new LinkImpairment { Loss = 0.3 });
        Send(10_000);
        Assert.That(_b.Sent.Count, Is.InRange(6_800, 7_200));
        Assert.That(_switch.Statistics("a", "b").LostRandom, Is.EqualTo(10_000 - _b.Sent.Count));
    }

    [Test]
    public void Loss_GilbertElliott_LossComesInBursts()
    {
        var ge = new GilbertElliott(P: 0.02, R: 0.2);
        _switch.Impair("a", "b", new LinkImpairment { BurstLoss = ge });
        Send(20_000);
        var got = _b.Sequences.ToHashSet();
        var bursts = new List<int>();
        var run = 0;
        for (var i = 0; i < 20_000; i++)
        {
            if (!got.Contains(i)) run++;
            else if (run > 0) { bursts.Add(run); run = 0; }
        }
        var lossRate = 1 - got.Count / 20_000.0;
        Assert.That(lossRate, Is.EqualTo(ge.StationaryLoss).Within(0.03));
        Assert.That(bursts.Average(), Is.EqualTo(1 / ge.R).Within(1.5), "mean burst length is 1/r frames");
    }

    [Test]
    public void Duplicate_DeliversSomeFramesTwice()
    {
        _switch.Impair("a", "b", new LinkImpairment { Duplicate = 0.1 });
        Send(5_000);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var counts = _b.Sequences.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(counts.Keys, Has.Count.EqualTo(5_000));
        Assert.That(counts.Values.Count(c => c == 2), Is.InRange(400, 600));
        Assert.That(counts.Values.Max(), Is.EqualTo(2));
    }

    [Test]
    public void Reorder_HeldFramesAreOvertaken_NoneLost()
    {
        _switch.Impair("a", "b", new LinkImpairment { Reorder = 0.2, ReorderGap = TimeSpan.FromMilliseconds(5) });
        for (var i = 0; i < 1_000; i++)
        {
            _switch.OnFrame(_a, Udp(B, A, i));
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
        _time.Advance(TimeSpan.FromMilliseconds(10));
        var seq = _b.Sequences;
        Assert.That(seq.Order(), Is.EqualTo(Enumerable.Range(0, 1_000)));
        var inversions = seq.Zip(seq.Skip(1)).Count(p => p.First > p.Second);
        Assert.That(inversions, Is.InRange(100, 300));
    }

    [Test]
    public void Corrupt_FlipsExactlyOneBitAfterTheEthernetHeader()
    {
        _switch.Impair("a", "b", new LinkImpairment { Corrupt = 1 });
        var original = Udp(B, A, 7, 200);
        _switch.OnFrame(_a, original);
        _time.Advance(TimeSpan.Zero);
        var got = _b.Sent.Single().Frame;
        var differing = original.Zip(got).Select((p, i) => (i, bits: System.Numerics.BitOperations.PopCount((uint)(p.First ^ p.Second)))).Where(x => x.bits > 0).ToList();
        Assert.That(differing, Has.Count.EqualTo(1));
        Assert.That(differing[0].bits, Is.EqualTo(1));
        Assert.That(differing[0].i, Is.GreaterThanOrEqualTo(14));
    }

    [Test]
    public void Rate_SpacesFramesBySerializationTime_AndTailDrops()
    {
        // 1 Mbit/s: a 1042-byte frame takes 8.336 ms; frame k starts after k × 8.336 ms of queueing,
        // so with queue_limit 50 ms frames 0–5 pass and frame 6 (50.016 ms) is the first tail drop.
        _switch.Impair("a", "b", new LinkImpairment { RateBitsPerSecond = 1_000_000, QueueLimit = TimeSpan.FromMilliseconds(50) });
        var start = _time.GetUtcNow();
        Send(20, payload: 1000);
        _time.Advance(TimeSpan.FromSeconds(1));
        var times = _b.Sent.Select(s => (s.Time - start).TotalMilliseconds).ToList();
        Assert.That(times, Has.Count.EqualTo(6));
        Assert.That(times[0], Is.EqualTo(8.336).Within(0.01));
        Assert.That(times[5] - times[4], Is.EqualTo(8.336).Within(0.01));
        Assert.That(_switch.Statistics("a", "b").LostQueue, Is.EqualTo(14));
    }

    [Test]
    public void SameSeed_SameDecisions_DifferentSeed_Different()
    {
        IReadOnlyList<int> Run(ulong seed)
        {
            var (time, sw, a, b) = Build(seed);
            using var _ = sw;
            sw.Impair("a", "b", new LinkImpairment { Loss = 0.2, Duplicate = 0.05 });
            for (var i = 0; i < 2_000; i++) sw.OnFrame(a, Udp(B, A, i));
            time.Advance(TimeSpan.FromSeconds(1));
            return b.Sequences;
        }
        Assert.That(Run(7), Is.EqualTo(Run(7)));
        Assert.That(Run(7), Is.Not.EqualTo(Run(8)));
    }

    [Test]
    public void Impair_ImpossibleValues_ErrorNamesEveryKey()
    {
        var e = Assert.Throws<ArgumentException>(() => _switch.Impair("a", "b",
            new LinkImpairment { Loss = 1.3, Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(20), RateBitsPerSecond = -5 }))!;
        Assert.That(e.Message, Does.Contain("impairment a -> b").And.Contain("loss: 1.3").And.Contain("jitter:").And.Contain("rate: -5"));
    }

    [Test]
    public void ImpairHost_Inbound_OnlyTrafficToTheHost()
    {
        _switch.ImpairHost("b", new LinkImpairment { Loss = 1 }, PartitionDirection.Inbound);
        Assert.That(_switch.ImpairmentOf("a", "b").Loss, Is.EqualTo(1));
        Assert.That(_switch.ImpairmentOf("b", "a").IsNone, Is.True);
    }

    [TestCase("30%", 0.3)]
    [TestCase("0.25", 0.25)]
    [TestCase(" 100 % ", 1.0)]
    public void ImpairmentValues_Probability(string text, double expected) =>
        Assert.That(ImpairmentValues.Probability("loss", text), Is.EqualTo(expected).Within(1e-12));

    [TestCase("50ms", 50)]
    [TestCase("2s", 2000)]
    [TestCase("1.5m", 90_000)]
    public void ImpairmentValues_Duration(string text, double ms) =>
        Assert.That(ImpairmentValues.Duration("delay", text).TotalMilliseconds, Is.EqualTo(ms).Within(1e-6));

    [TestCase("10mbit", 10_000_000)]
    [TestCase("512kbit", 512_000)]
    public void ImpairmentValues_Rate(string text, long bits) => Assert.That(ImpairmentValues.Rate("rate", text), Is.EqualTo(bits));

    [TestCase("loss", "130%")]
    [TestCase("loss", "lots")]
    [TestCase("delay", "-5ms")]
    [TestCase("delay", "5 parsecs")]
    [TestCase("rate", "fast")]
    public void ImpairmentValues_Bad_ErrorNamesKeyAndText(string key, string text)
    {
        var e = Assert.Throws<FormatException>(() =>
        {
            _ = key switch
            {
                "loss" => ImpairmentValues.Probability(key, text),
                "delay" => ImpairmentValues.Duration(key, text).TotalSeconds,
                _ => ImpairmentValues.Rate(key, text),
            };
        })!;
        Assert.That(e.Message, Does.StartWith(key + ":").And.Contain(text));
    }
}
