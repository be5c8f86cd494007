using HilRig.Update.Cloud;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

public class VersionRulesTests
{
    private static readonly long[] Available = [1, 2, 3, 4, 6];

    [TestCase(6, 6, UpdateDirection.None, null)]
    [TestCase(2, 6, UpdateDirection.Next, 3L)]
    [TestCase(4, 6, UpdateDirection.Next, 6L)]
    [TestCase(0, 6, UpdateDirection.Next, 1L)]
    [TestCase(7, 6, UpdateDirection.Previous, 6L)]
    [TestCase(5, 4, UpdateDirection.Previous, 4L)]
    [TestCase(6, 3, UpdateDirection.Previous, 4L)]
    [TestCase(1, 2, UpdateDirection.Next, 2L)]
    public void Decide_UnitAgainstCloudVersion_OneStepTowardsIt(long unit, long target, UpdateDirection direction, long? version)
    {
        Assert.That(VersionRules.Decide(unit, target, Available), Is.EqualTo((direction, version)));
    }

    [Test]
    public void Decide_NoImage_Nothing() =>
        Assert.That(VersionRules.Decide(3, null, []), Is.EqualTo((UpdateDirection.None, (long?)null)));
}
