using HilRig.Rig.Model;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Model;

public class RigLoaderTests
{
    private static RigFileError SingleError(string yaml)
    {
        var e = Assert.Throws<RigFileException>(() => RigLoader.Parse(yaml, "rig.yaml"))!;
        Assert.That(e.Errors, Has.Count.EqualTo(1), e.Message);
        return e.Errors[0];
    }

    [Test]
    public void Parse_ValidRig_FillsDefaultsAndImplicitDrivers()
    {
        var rig = RigLoader.Parse("""
            rig: bench
            boards:
              dut:
                kind: process
                roles: [main, um]
                drivers:
                  process:
                    firmware: 2.1.0
                    settings: {um.modules: "file,test"}
              uart-board:
                kind: physical
                drivers:
                  serial: {port: /dev/ttyUSB0}
                  external_power: {on: "pdu on 1", off: "pdu off 1"}
                  shell: {login_prompt: "login: ", command_timeout: 90s}
            network:
              type: simnet
              subnet: 10.9.0.0/24
            """, "rig.yaml");
        Assert.That(rig.Name, Is.EqualTo("bench"));
        var dut = rig.FindBoard("dut")!;
        Assert.That(dut.Kind, Is.EqualTo(BoardKind.Process));
        Assert.That(dut.Roles, Is.EqualTo(new[] { "main", "um" }));
        Assert.That(dut.Driver("process")!.String("firmware"), Is.EqualTo("2.1.0"));
        Assert.That(dut.Driver("process")!.Duration("boot_timeout"), Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(dut.Driver("process")!.Map("settings")["um.modules"], Is.EqualTo("file,test"));
        Assert.That(dut.Driver("shell"), Is.Not.Null, "process boards get a shell driver without naming it");
        var uart = rig.FindBoard("uart-board")!;
        Assert.That(uart.Driver("serial")!.Int("baud"), Is.EqualTo(115200));
        Assert.That(uart.Driver("shell")!.Duration("command_timeout"), Is.EqualTo(TimeSpan.FromSeconds(90)));
        Assert.That(rig.Network.Type, Is.EqualTo("simnet"));
        Assert.That(rig.Network.Options.Bool("capture"), Is.True);
    }

    [Test]
    public void Parse_RelativePaths_AreRelativeToTheRigFile_NotTheWorkingDirectory()
    {
        var rig = RigLoader.Parse("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: ttys/adapter0}\n      external_power: {on: a, off: b}\n  d:\n    kind: process\n    drivers:\n      process: {device: ../builds/HilRig.Device.dll}\n",
            "/srv/rigs/lab/rig.yaml");
        Assert.That(rig.FindBoard("b")!.Driver("serial")!.String("port"), Is.EqualTo("/srv/rigs/lab/ttys/adapter0"));
        Assert.That(rig.FindBoard("d")!.Driver("process")!.String("device"), Is.EqualTo("/srv/rigs/builds/HilRig.Device.dll"));
    }

    [Test]
    public void Parse_DefaultRigOfTheRepository_IsValid()
    {
        var rig = RigLoader.Load(Path.Combine(HilRig.Testing.RepoPaths.Root, "rig.yaml"));
        Assert.That(rig.Boards, Is.Not.Empty);
    }

    [Test]
    public void Parse_UnknownKey_NamesLineColumnKeyAndSuggestion()
    {
        var error = SingleError("boards:\n  dut:\n    kind: process\n    drivers:\n      process:\n        firmwre: 1.0\n");
        Assert.That(error.ToString(), Is.EqualTo(
            "rig.yaml:6:9: boards.dut.drivers.process.firmwre: unknown option 'firmwre' (did you mean 'firmware'?); options here: firmware, device, boot_timeout, settings"));
    }

    [Test]
    public void Parse_IntBelowItsMinimum_IsRefusedAtLoad_WithWhere()
    {
        var error = SingleError("boards:\n  dut:\n    kind: qemu\n    drivers:\n      qemu:\n        time_scale: -2\n");
        Assert.That(error.ToString(), Is.EqualTo("rig.yaml:6:21: boards.dut.drivers.qemu.time_scale: -2 is below the smallest value, 1"));
        Assert.That(RigLoader.Parse("boards:\n  dut:\n    kind: qemu\n    drivers:\n      qemu: {time_scale: 3}\n", "rig.yaml").Boards[0].Driver("qemu")!.Int("time_scale"),
            Is.EqualTo(3));
    }

    [Test]
    public void Parse_UnknownTopLevelKey_IsNamed()
    {
        var error = SingleError("boards:\n  dut: {kind: process}\nboard_count: 3\n");
        Assert.That((error.Line, error.Column, error.KeyPath), Is.EqualTo((3, 1, "board_count")));
    }

    [Test]
    public void Parse_WrongType_NamesTheValue()
    {
        var error = SingleError("boards:\n  dut:\n    kind: process\n    drivers:\n      process: {boot_timeout: forever}\n");
        Assert.That(error.KeyPath, Is.EqualTo("boards.dut.drivers.process.boot_timeout"));
        Assert.That(error.Reason, Does.Contain("expected a duration").And.Contain("'forever'"));
        Assert.That((error.Line, error.Column), Is.EqualTo((5, 31)));
    }

    [Test]
    public void Parse_MissingBoardOption_NamesTheDriverAndOption()
    {
        var error = SingleError("boards:\n  bench:\n    kind: physical\n    drivers:\n      serial: {baud: 9600}\n      external_power: {on: 'x on', off: 'x off'}\n");
        Assert.That(error.KeyPath, Is.EqualTo("boards.bench.drivers.serial"));
        Assert.That(error.Reason, Does.Contain("missing 'port' (a tty path) or 'match'"));
        Assert.That(error.Line, Is.EqualTo(5));
    }

    [Test]
    public void Parse_MissingRequiredDriver_IsNamed()
    {
        var error = SingleError("boards:\n  bench:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyUSB0}\n");
        Assert.That(error.Reason, Does.Contain("a physical board needs one power driver: relay_power, gpio_power, i2c_power, external_power"));
    }

    [Test]
    public void Parse_DriverOfAnotherKind_IsRejected()
    {
        var error = SingleError("boards:\n  dut:\n    kind: process\n    drivers:\n      serial: {port: /dev/ttyS0}\n");
        Assert.That(error.Reason, Does.Contain("does not work with process boards"));
    }

    [Test]
    public void Parse_BadKind_ListsTheKinds()
    {
        var error = SingleError("boards:\n  dut:\n    kind: fpga\n");
        Assert.That((error.Line, error.Column, error.KeyPath), Is.EqualTo((3, 11, "boards.dut.kind")));
        Assert.That(error.Reason, Does.Contain("process|qemu|container|physical"));
    }

    [Test]
    public void Parse_BadEnumValue_ListsTheValues()
    {
        // Any baud rate goes (the adapter decides); parity is one of a list.
        var error = SingleError("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: /dev/x, baud: 12345, parity: nine}\n      external_power: {on: a, off: b}\n");
        Assert.That(error.Reason, Does.Contain("one of none|even|odd|mark|space").And.Contain("'nine'"));
    }

    [Test]
    public void Parse_InvalidYaml_GivesPosition()
    {
        var error = SingleError("boards:\n  dut: {kind: process\n  other: x\n");
        Assert.That(error.Reason, Does.StartWith("not valid YAML"));
        Assert.That(error.Line, Is.GreaterThan(1));
    }

    [Test]
    public void Parse_NoBoards_IsAnError()
    {
        Assert.That(SingleError("rig: empty\n").Reason, Does.Contain("at least one board"));
    }

    [Test]
    public void Parse_SeveralErrors_AllReported()
    {
        var e = Assert.Throws<RigFileException>(() => RigLoader.Parse(
            "boards:\n  a:\n    kind: process\n    colour: red\n  b:\n    kind: nope\nnetwork: {type: wifi}\n", "rig.yaml"))!;
        Assert.That(e.Errors.Select(x => x.KeyPath), Is.EquivalentTo(new[] { "boards.a.colour", "boards.b.kind", "network.type" }));
    }

    [Test]
    public void Load_MissingFile_IsAnErrorNamingIt()
    {
        var e = Assert.Throws<RigFileException>(() => RigLoader.Load("/nonexistent/rig.yaml"))!;
        Assert.That(e.Message, Does.Contain("/nonexistent/rig.yaml").And.Contain("cannot read"));
    }
}
