using HilRig.Update.Cloud;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

public class DashboardFiguresTests
{
    [Test]
    public void Compute_FiguresOfSeed000()
    {
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var platforms = new Dictionary<string, PlatformVersions> { ["pi4"] = PlatformVersions.Empty("pi4").Upload(out _).Upload(out _).Upload(out _) };
        var units = new[]
        {
            new UnitRecord("a", "pi4", 3, now),
            new UnitRecord("b", "pi4", 2, now.AddMinutes(-1), OfferedVersion: 3),
            new UnitRecord("c", "pi4", 1, now.AddDays(-25), Group: "qa"),
            new UnitRecord("d", "pi4", 1, now, Group: "qa"),
        };
        var groups = new[] { new GroupRecord("qa", "pi4", 1), new GroupRecord("empty", "pi4", 2) };
        var results = new[]
        {
            new UpdateResult("b", 3, false, "sha256-mismatch", null, now.AddDays(-2)),
            new UpdateResult("b", 2, false, "unknown-key", null, now.AddDays(-8)),
            new UpdateResult("a", 3, true, null, null, now.AddDays(-1)),
        };
        var f = DashboardFigures.Compute(units, groups, platforms, results, now, TimeSpan.FromMinutes(5));
        Assert.That(f.CurrentlyOnline, Is.EqualTo(3));
        Assert.That(f.OnTargetPercent, Is.EqualTo(75.0));
        Assert.That(f.InProgressNow, Is.EqualTo(1));
        Assert.That(f.FailedLast7Days, Is.EqualTo(1));
        Assert.That(f.Groups, Is.EqualTo(new[] { new GroupFigure("empty", "pi4", 2, 0, 0), new GroupFigure("qa", "pi4", 1, 2, 2) }));
        Assert.That(f.Ungrouped.Select(u => (u.UnitId, u.Target)), Is.EqualTo(new[] { ("a", (long?)3), ("b", 3) }));
    }
}
