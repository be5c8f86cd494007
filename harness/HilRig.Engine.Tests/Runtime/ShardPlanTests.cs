using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Runtime;

/// <summary>Shards split a run exactly, the same way on every machine, and balance by durations when they have them.</summary>
public class ShardPlanTests
{
    private static IReadOnlyList<Pickle> Pickles(int count)
    {
        var text = "Feature: F\n" + string.Concat(Enumerable.Range(1, count).Select(i => $"  Scenario: s{i}\n    Given step {i}\n"));
        return FeaturePickles.Compile(FeatureParser.ParseText(text, "features/shards.feature"));
    }

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(7)]
    public void Shards_PartitionTheRun_WithOrWithoutDurations(int count)
    {
        var pickles = Pickles(23);
        foreach (var durations in new Func<Pickle, TimeSpan?>?[] { null, p => TimeSpan.FromSeconds(p.Line % 9 + 1) })
        {
            var parts = Enumerable.Range(1, count).Select(i => ShardPlan.Select(pickles, new ShardSpec(i, count), durations)).ToList();
            Assert.That(parts.SelectMany(p => p.Mine), Is.EquivalentTo(pickles), "every scenario in exactly one shard");
            Assert.That(parts.Select(p => p.Digest).Distinct().Count(), Is.EqualTo(1), "every shard planned the same split");
            foreach (var part in parts)
                Assert.That(part.Mine, Is.Ordered.By(nameof(Pickle.Line)), "a shard runs its part in pickle order");
        }
    }

    [Test]
    public void Shards_SameInput_SamePlan_InAnyOrderOfLoading()
    {
        var pickles = Pickles(12);
        var a = ShardPlan.Select(pickles, new ShardSpec(2, 3), null);
        var b = ShardPlan.Select(pickles.Reverse().ToList(), new ShardSpec(2, 3), null);
        Assert.That(b.Mine.Select(p => p.Id), Is.EquivalentTo(a.Mine.Select(p => p.Id)));
        Assert.That(b.Digest, Is.EqualTo(a.Digest));
        Assert.That(a.Mine, Has.Count.EqualTo(4), "dealt evenly by pickle id");
    }

    [Test]
    public void Shards_WithDurations_AreBalancedByWork()
    {
        var pickles = Pickles(10);
        // One long scenario and many short ones: counting scenarios would put the long one beside four short ones.
        TimeSpan? Duration(Pickle p) => TimeSpan.FromSeconds(p.Name == "s1" ? 30 : 5);
        var parts = Enumerable.Range(1, 2).Select(i => ShardPlan.Select(pickles, new ShardSpec(i, 2), Duration)).ToList();
        var work = parts.Select(p => p.Mine.Sum(x => Duration(x)!.Value.TotalSeconds)).ToList();
        Assert.That(work, Is.EquivalentTo(new[] { 40.0, 35.0 }), "LPT: the long scenario and two short ones against seven short ones");
        Assert.That(parts.All(p => p.Balanced));
    }

    [TestCase("3/2", "there is no shard 3 of 2")]
    [TestCase("0/2", "there is no shard 0 of 2")]
    [TestCase("1/0", "at least one shard")]
    [TestCase("half", "is not i/n")]
    public void ShardSpec_Invalid_SaysWhy(string text, string reason) =>
        Assert.That(Assert.Throws<FormatException>(() => ShardSpec.Parse(text))!.Message, Does.Contain(reason));
}
