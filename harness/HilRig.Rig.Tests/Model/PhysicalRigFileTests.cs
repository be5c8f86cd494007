using HilRig.Rig.Model;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Model;

/// <summary>The physical-board keys of the rig-file contract (issue 11), and the mistakes people make with them.</summary>
public class PhysicalRigFileTests
{
    private static IReadOnlyList<RigFileError> Errors(string yaml) =>
        Assert.Throws<RigFileException>(() => RigLoader.Parse(yaml, "bench.yaml"))!.Errors;

    [Test]
    public void TheContractFromTheIssue_Loads()
    {
        var rig = RigLoader.Parse("""
            boards:
              bench-1:
                kind: physical
                drivers:
                  serial: {port: /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K3X2B-if00-port0, baud: 115200}
                  relay_power: {port: /dev/ttyUSB1, protocol: lcus, channel: 1}
                  bootloader: {autoboot: "Hit any key to stop autoboot", prompt: "=> ", boot: boot}
                  shell: {login_prompt: "login: ", username: root, password: secret, prompt: "root@bench-1:~# "}
                  capture: {interface: eth2}
              bench-2:
                kind: physical
                drivers:
                  serial: {match: {ID_SERIAL_SHORT: A10K3X2B}, baud: 1500000, parity: even, stop_bits: "2", flow_control: rtscts}
                  relay_power: {port: /dev/ttyUSB2, protocol: modbus-rtu, unit: 1, coil: 0}
              bench-3:
                kind: physical
                drivers:
                  serial: {port: /dev/ttyUSB3}
                  gpio_power: {chip: gpiochip0, line: 17, active_low: true}
              bench-4:
                kind: physical
                drivers:
                  serial: {port: /dev/ttyUSB4}
                  i2c_power: {bus: 1, address: 0x21, chip: mcp23008, pin: 7}
            """, "bench.yaml");
        var b1 = rig.FindBoard("bench-1")!;
        Assert.That(b1.Driver("relay_power")!.String("protocol"), Is.EqualTo("lcus"));
        Assert.That(b1.Driver("bootloader")!.String("prompt"), Is.EqualTo("=> "));
        Assert.That(b1.Driver("capture")!.String("interface"), Is.EqualTo("eth2"));
        var b2 = rig.FindBoard("bench-2")!.Driver("serial")!;
        Assert.That((b2.Int("baud"), b2.String("parity"), b2.String("stop_bits"), b2.Map("match")["ID_SERIAL_SHORT"]), Is.EqualTo((1500000, "even", "2", "A10K3X2B")));
        Assert.That(rig.FindBoard("bench-3")!.Driver("gpio_power")!.Bool("active_low"), Is.True);
        Assert.That(rig.FindBoard("bench-4")!.Driver("i2c_power")!.Int("address"), Is.EqualTo(0x21));
    }

    [Test]
    public void RelayAndGpioPower_Both_IsAnErrorNamingBoth()
    {
        var errors = Errors("""
            boards:
              bench-1:
                kind: physical
                drivers:
                  serial: {port: /dev/ttyUSB0}
                  relay_power: {port: /dev/ttyUSB1, protocol: lcus}
                  gpio_power: {chip: gpiochip0, line: 17}
            """);
        Assert.That(errors.Single().ToString(), Is.EqualTo(
            "bench.yaml:7:19: boards.bench-1.drivers.gpio_power: 'relay_power' (bench.yaml:6:20) and 'gpio_power' both switch this board's power; name one"));
    }

    [Test]
    public void NoPowerDriver_IsAnError() =>
        Assert.That(Errors("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyUSB0}\n").Single().ToString(),
            Does.Contain("a physical board needs one power driver: relay_power, gpio_power, i2c_power, external_power"));

    [Test]
    public void PortAndMatch_BothOrNeither_IsAnError()
    {
        Assert.That(Errors("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyUSB0, match: {ID_SERIAL_SHORT: X}}\n      gpio_power: {chip: gpiochip0, line: 1}\n")
            .Single().ToString(), Is.EqualTo("bench.yaml:5:15: boards.b.drivers.serial: give the port by path (port:) or by udev properties (match:), not both"));
        Assert.That(Errors("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {baud: 9600}\n      gpio_power: {chip: gpiochip0, line: 1}\n")
            .Single().ToString(), Does.Contain("missing 'port' (a tty path) or 'match'"));
    }

    [TestCase("relay_power: {port: /dev/ttyUSB1, protocol: x10}", "expected a one of lcus|modbus-rtu, got 'x10'")]
    [TestCase("relay_power: {port: /dev/ttyUSB1}", "missing option 'protocol'")]
    [TestCase("relay_power: {port: /dev/ttyUSB1, protocol: modbus-rtu, unit: 300}", "a Modbus unit address is 1..247, got 300")]
    [TestCase("relay_power: {port: /dev/ttyUSB1, protocol: lcus, channel: 0}", "an LCUS channel is 1..255, got 0")]
    [TestCase("gpio_power: {chip: gpiochip0}", "missing option 'line'")]
    [TestCase("i2c_power: {bus: 1, chip: mcp23008, pin: 9}", "an mcp23008 has pins 0..7, got 9")]
    public void BadPowerOptions_AreNamedWithTheirPlace(string power, string expected)
    {
        var errors = Errors($"boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {{port: /dev/ttyUSB0}}\n      {power}\n");
        Assert.That(errors.Single().ToString(), Does.StartWith("bench.yaml:6:").And.Contain(expected));
    }

    [Test]
    public void BootloaderWithoutItsTexts_IsAnError()
    {
        var errors = Errors("boards:\n  b:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyUSB0}\n      gpio_power: {chip: gpiochip0, line: 1}\n      bootloader: {boot: boot}\n");
        Assert.That(errors.Select(e => e.ToString()), Has.Some.Contain("missing option 'autoboot'").And.Some.Contain("missing option 'prompt'"));
    }
}
