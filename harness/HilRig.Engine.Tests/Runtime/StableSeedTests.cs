using HilRig.Engine.Runtime;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Runtime;

public class StableSeedTests
{
    [Test]
    public void Slug_SameFileNameAndLineInTwoFolders_Differ_AndStayStable()
    {
        var ab = StableSeed.Slug("scenarios/ab/update.feature", 11);
        var update = StableSeed.Slug("scenarios/update/update.feature", 11);
        Assert.That(ab, Is.Not.EqualTo(update), "two scenarios of one run must not share an artifact directory");
        Assert.That(ab, Does.StartWith("update-11-"));
        Assert.That(StableSeed.Slug("scenarios/ab/update.feature", 11), Is.EqualTo(ab));
        Assert.That(StableSeed.Slug(Path.GetFullPath("scenarios/ab/update.feature"), 11), Is.EqualTo(ab), "absolute and relative spellings agree");
    }

    [Test]
    public void Derive_IsTheSameOnEveryMachine()
    {
        // FNV-1a over text: a fixed value, so a replay line means the same on any machine and .NET version.
        Assert.That(StableSeed.Derive(42, "scenarios/harness/power.feature", "15"), Is.EqualTo(StableSeed.Derive(42, "scenarios/harness/power.feature", "15")));
        Assert.That(StableSeed.Derive(42, "a"), Is.Not.EqualTo(StableSeed.Derive(43, "a")));
        Assert.That(StableSeed.Derive(7, "x"), Is.EqualTo(1017027490), "a golden value: changing the derivation changes every replay line");
    }
}
