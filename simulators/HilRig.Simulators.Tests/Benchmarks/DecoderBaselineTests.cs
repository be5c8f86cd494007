using HilRig.Simulators.Benchmarks;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Simulators.Tests.Benchmarks;

/// <summary>The decoder half of <c>bench simnet</c> at a small scale: each baseline parses every frame of the capture. Rates are not asserted.</summary>
public class DecoderBaselineTests
{
    [Test]
    public void SmallCapture_OursPacketDotNetAndTshark_EachReadEveryFrame()
    {
        var capture = Path.Combine(RepoPaths.NewTempDirectory("bench-decoders"), "small.pcap");
        SimNetBenchmark.BuildCapture(RepoPaths.Fixtures("captures"), capture, 3000);
        Assert.That(SimNetBenchmark.MeasureDecoder(capture, 3000), Is.GreaterThan(0));
        Assert.That(SimNetBenchmark.MeasurePacketDotNet(capture, 3000), Is.GreaterThan(0));
        RequiredTool.Require("tshark", "the decoder baseline of bench simnet");
        Assert.That(SimNetBenchmark.MeasureTshark(capture, 3000), Is.GreaterThan(0));
    }
}
