using HilRig.Rig.Drivers.Serial;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers.Serial;

/// <summary>Finding a USB-serial adapter by udev properties, against a sysfs and udev database laid out as the kernel and udev do.</summary>
public class UdevMatchTests
{
    private static UdevMatch FakeSystem(params (string Tty, string Dev, string[] Properties)[] ttys)
    {
        var root = RepoPaths.NewTempDirectory("udev");
        foreach (var (tty, dev, properties) in ttys)
        {
            Directory.CreateDirectory(Path.Combine(root, "sys", tty));
            File.WriteAllText(Path.Combine(root, "sys", tty, "dev"), dev + "\n");
            Directory.CreateDirectory(Path.Combine(root, "udev"));
            File.WriteAllLines(Path.Combine(root, "udev", "c" + dev), ["S:serial/by-id/x", .. properties.Select(p => "E:" + p), "G:systemd"]);
        }
        Directory.CreateDirectory(Path.Combine(root, "sys", "tty0")); // a tty without a dev file is skipped
        return new UdevMatch(Path.Combine(root, "sys"), Path.Combine(root, "udev"), "/dev");
    }

    private static readonly (string, string, string[])[] TwoAdapters =
    [
        ("ttyUSB0", "188:0", ["ID_SERIAL_SHORT=A10K3X2B", "ID_VENDOR_ID=0403", "ID_PATH=pci-0000:00:14.0-usb-0:2:1.0"]),
        ("ttyUSB1", "188:1", ["ID_SERIAL_SHORT=B77Q", "ID_VENDOR_ID=0403", "ID_PATH=pci-0000:00:14.0-usb-0:3:1.0"]),
    ];

    [Test]
    public void Find_BySerial_GivesTheDevice() =>
        Assert.That(FakeSystem(TwoAdapters).Find(new Dictionary<string, string> { ["ID_SERIAL_SHORT"] = "B77Q" }), Is.EqualTo("/dev/ttyUSB1"));

    [Test]
    public void Find_NoMatch_ListsWhatUdevKnows()
    {
        var e = Assert.Throws<IOException>(() => FakeSystem(TwoAdapters).Find(new Dictionary<string, string> { ["ID_SERIAL_SHORT"] = "NOPE" }))!;
        Assert.That(e.Message, Is.EqualTo("no serial adapter has ID_SERIAL_SHORT=NOPE; adapters udev knows: ttyUSB0 (ID_SERIAL_SHORT=A10K3X2B), ttyUSB1 (ID_SERIAL_SHORT=B77Q)"));
    }

    [Test]
    public void Find_SeveralMatch_AsksForAPropertyThatTellsThemApart()
    {
        var e = Assert.Throws<IOException>(() => FakeSystem(TwoAdapters).Find(new Dictionary<string, string> { ["ID_VENDOR_ID"] = "0403" }))!;
        Assert.That(e.Message, Does.Contain("2 serial adapters have ID_VENDOR_ID=0403 (/dev/ttyUSB0, /dev/ttyUSB1)"));
    }
}
