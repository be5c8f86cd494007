using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using NUnit.Framework;
using YamlDotNet.RepresentationModel;

namespace HilRig.Simulators.Tests.Faults;

/// <summary>rig.yaml impairment profiles use the plan reader: values in plan syntax, impossible ones named with their position.</summary>
public class ImpairmentProfileTests
{
    private static YamlNode Node(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents[0].RootNode;
    }

    [Test]
    public void Profile_AllKeys_Parsed()
    {
        var p = FaultPlanParser.ParseImpairment(Node("{loss: 2%, delay: 8ms, jitter: 4ms, duplicate: 1%, reorder: 0.5%, corrupt: 0.1%, rate: 10mbit}"), "network.profiles.wifi", "rig.yaml");
        Assert.That(p, Is.EqualTo(new LinkImpairment
        {
            Loss = 0.02, Delay = TimeSpan.FromMilliseconds(8), Jitter = TimeSpan.FromMilliseconds(4), Duplicate = 0.01, Reorder = 0.005,
            Corrupt = 0.001, RateBitsPerSecond = 10_000_000,
        }));
    }

    [TestCase("{}", true)]
    [TestCase("{loss: 5%, delay: 40ms}", false)]
    public void Text_Parsed(string yaml, bool none) =>
        Assert.That(FaultPlanParser.ParseImpairment(yaml, "impairment", "step").IsNone, Is.EqualTo(none));

    [TestCase("", "step:1:1: impairment: is empty (write {} for none, or e.g. {loss: 5%, delay: 40ms})")]
    [TestCase("   \n", "step:1:1: impairment: is empty (write {} for none, or e.g. {loss: 5%, delay: 40ms})")]
    [TestCase("{loss: [5%", "step:2:1: not valid YAML: ")]
    [TestCase("{los: 5%}", "step:1:2: impairment.los: unknown key (allowed: loss, burst_loss, delay, jitter, duplicate, reorder, reorder_gap, corrupt, rate, queue_limit)")]
    [TestCase("loss", "step:1:1: impairment: expected a mapping (key: value lines)")]
    public void Text_Bad_FaultPlanErrorAtSourceLineColumn(string yaml, string expected) =>
        Assert.That(Assert.Throws<FaultPlanException>(() => FaultPlanParser.ParseImpairment(yaml, "impairment", "step"))!.Message, Does.StartWith(expected));

    [Test]
    public void Profile_SeveralImpossibleValues_EachAnError_WithItsKey()
    {
        var e = Assert.Throws<FaultPlanException>(() => FaultPlanParser.ParseImpairment(Node("{delay: 5ms, jitter: 9ms, rate: 100bit}"), "network.profiles.p", "rig.yaml"))!;
        Assert.That(e.Errors.Select(x => x.ToString()), Is.EqualTo(new[]
        {
            "rig.yaml:1:1: network.profiles.p.jitter: 9 ms exceeds delay 5 ms (a frame cannot arrive before it was sent)",
            "rig.yaml:1:1: network.profiles.p.rate: 100 bit/s is below 8 kbit/s, too slow for one 1500-byte frame per 1.5 s",
        }));
    }

    [TestCase("{loss: 130%}", "rig.yaml:1:8: network.profiles.p.loss: '130%' is not between 0% and 100%")]
    [TestCase("{delay: 5ms, jitter: 9ms}", "rig.yaml:1:1: network.profiles.p.jitter: 9 ms exceeds delay 5 ms (a frame cannot arrive before it was sent)")]
    [TestCase("{los: 3%}", "rig.yaml:1:2: network.profiles.p.los: unknown key (allowed: loss, burst_loss, delay, jitter, duplicate, reorder, reorder_gap, corrupt, rate, queue_limit)")]
    [TestCase("{burst_loss: {p: 2%}}", "rig.yaml:1:14: network.profiles.p.burst_loss.r: is required")]
    [TestCase("[1, 2]", "rig.yaml:1:1: network.profiles.p: expected a mapping (key: value lines)")]
    public void Profile_ImpossibleValue_ErrorWithPositionAndKey(string yaml, string expected) =>
        Assert.That(Assert.Throws<FaultPlanException>(() => FaultPlanParser.ParseImpairment(Node(yaml), "network.profiles.p", "rig.yaml"))!.Message,
            Is.EqualTo(expected));
}
