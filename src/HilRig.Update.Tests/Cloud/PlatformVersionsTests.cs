using HilRig.Update.Cloud;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

public class PlatformVersionsTests
{
    private static PlatformVersions Uploaded(int count)
    {
        var p = PlatformVersions.Empty("pi4");
        for (var i = 0; i < count; i++) p = p.Upload(out _);
        return p;
    }

    [Test]
    public void Upload_AssignsMonotonicVersionsPerPlatform()
    {
        var a = PlatformVersions.Empty("a").Upload(out var a1).Upload(out var a2);
        PlatformVersions.Empty("b").Upload(out var b1);
        Assert.That((a1, a2, b1), Is.EqualTo((1L, 2L, 1L)));
        Assert.That(a.Latest, Is.EqualTo(2));
    }

    [Test]
    public void Delete_Latest5ThenUpload_Assigns6AndNever5Again()
    {
        var p = Uploaded(5).Delete(5).Upload(out var next);
        Assert.That(next, Is.EqualTo(6));
        Assert.That(p.Available, Is.EqualTo(new long[] { 1, 2, 3, 4, 6 }));
    }

    [Test]
    public void Delete_AfterTheLatestWasDeleted_Version4CannotBeDeleted()
    {
        var p = Uploaded(5).Delete(5);
        var e = Assert.Throws<VersionRuleException>(() => p.Delete(4))!;
        Assert.That(e.Message, Is.EqualTo("platform 'pi4': only the last uploaded image can be deleted and version 5 already was; 4 stays"));
    }

    [Test]
    public void Delete_NotTheLatest_IsRefused()
    {
        var e = Assert.Throws<VersionRuleException>(() => Uploaded(3).Delete(2))!;
        Assert.That(e.Message, Is.EqualTo("platform 'pi4': only the last uploaded image version (3) can be deleted, not 2"));
        Assert.Throws<VersionRuleException>(() => Uploaded(3).Delete(7));
    }
}
