using HilRig.Device;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Device;

/// <summary>board.json as the (source-generated, NativeAOT-safe) reader takes it.</summary>
public class BoardConfigTests
{
    [Test]
    public void Load_OnlyNameAndDataDirectory_OptionalFieldsKeepTheirDefaults()
    {
        // A physical bench writes no more than this; the source-generated reader once left Roles null and the boot crashed.
        var path = Path.Combine(RepoPaths.NewTempDirectory("board-config"), "board.json");
        File.WriteAllText(path, """{"name":"bench","dataDirectory":"/tmp/x"}""");
        var config = BoardConfig.Load(path);
        Assert.That((config.Name, config.Firmware, config.BootReason, config.Roles.Count, config.Settings.Count), Is.EqualTo(("bench", "1.0.0", "power-on", 0, 0)));
    }

    [Test]
    public void Load_AllFields_AreRead()
    {
        var path = Path.Combine(RepoPaths.NewTempDirectory("board-config"), "board.json");
        File.WriteAllText(path, """{"name":"b","firmware":"2.0","roles":["main"],"dataDirectory":"/d","bootReason":"reboot","seed":7,"settings":{"ab.check":"full"}}""");
        var config = BoardConfig.Load(path);
        Assert.That((config.Firmware, config.Roles.Single(), config.BootReason, config.Seed, config.Setting("ab.check", "")), Is.EqualTo(("2.0", "main", "reboot", 7, "full")));
    }
}
