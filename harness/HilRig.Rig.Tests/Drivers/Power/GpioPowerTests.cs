using System.Device.Gpio;
using System.Device.I2c;
using HilRig.Rig.Drivers.Power;
using HilRig.Rig.Drivers.Power.Gpio;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Rig.Tests.Drivers.Power;

/// <summary>
/// gpio_power and i2c_power against fake buses (these machines have no GPIO chips or I2C adapters), as dotnet/iot tests
/// its bindings: a fake GpioDriver with lines, a fake I2cDevice holding an MCP23017's registers under the real binding.
/// </summary>
public class GpioPowerTests
{
    [TestCase(false, 1)]
    [TestCase(true, 0)]
    public async Task GpioLine_DrivesOnAsTheWiringSays(bool activeLow, int levelWhenOn)
    {
        var driver = new FakeGpioDriver(32);
        await using var power = new GpioLineSwitch(driver, 17, activeLow, "gpio_power (fake line 17)");
        Assert.That(driver.Levels[17], Is.EqualTo(1 - levelWhenOn), "opened as off");
        Assert.That(driver.Modes[17], Is.EqualTo(PinMode.Output));
        await power.SetAsync(true);
        Assert.That(driver.Levels[17], Is.EqualTo(levelWhenOn));
        Assert.That(await power.ReadAsync(), Is.True);
        await power.SetAsync(false);
        Assert.That(driver.Levels[17], Is.EqualTo(1 - levelWhenOn));
    }

    [Test]
    public void GpioLine_ThatDoesNotExist_IsNamed()
    {
        var e = Assert.Throws<PowerSwitchException>(() => new GpioLineSwitch(new FakeGpioDriver(8), 17, false, "gpio_power (gpiochip0 line 17)"))!;
        Assert.That(e.Message, Is.EqualTo("gpio_power (gpiochip0 line 17): line 17 does not exist (the chip has lines 0..7)"));
    }

    [Test]
    public void GpioChip_ThatDoesNotExist_IsNamedWithTheChipsThatDo()
    {
        var dev = RepoPaths.NewTempDirectory("dev");
        File.WriteAllText(Path.Combine(dev, "gpiochip1"), "");
        var e = Assert.Throws<PowerSwitchException>(() => GpioChips.OpenChip("gpiochip0", dev))!;
        Assert.That(e.Message, Does.Contain($"GPIO chip {dev}/gpiochip0 does not exist; chips here: gpiochip1"));
        Assert.That(Assert.Throws<PowerSwitchException>(() => GpioChips.ChipNumber("gpio-zero"))!.Message, Does.Contain("not a GPIO chip name"));
        Assert.That(GpioChips.ChipNumber("/dev/gpiochip3"), Is.EqualTo(3));
    }

    [Test]
    public async Task Mcp23017Pin_ActiveLow_SetsIodirAndOlatThroughTheBinding()
    {
        var chip = new FakeMcp23017();
        await using var power = new GpioLineSwitch(GpioChips.Expander(chip, "mcp23017"), 11, activeLow: true, "i2c_power (fake mcp23017 pin 11)");
        // Pin 11 is GPB3: IODIRB (0x01) bit 3 cleared for output, OLATB (0x15) bit 3 high = relay off (active low).
        Assert.That(chip.Registers[0x01] & 0x08, Is.Zero, "pin 11 is an output");
        Assert.That(chip.Registers[0x15] & 0x08, Is.EqualTo(0x08), "off drives the active-low pin high");
        await power.SetAsync(true);
        Assert.That(chip.Registers[0x15] & 0x08, Is.Zero, "on drives it low");
        Assert.That(await power.ReadAsync(), Is.True);
        Assert.That(chip.Registers[0x00], Is.EqualTo(0xFF), "port A untouched");
    }

    [Test]
    public void I2cBus_ThatDoesNotExist_IsNamed()
    {
        var e = Assert.Throws<PowerSwitchException>(() => GpioChips.OpenExpander(97, 0x20, "mcp23017"))!;
        Assert.That(e.Message, Does.Contain("I2C bus /dev/i2c-97 does not exist"));
    }

    /// <summary>A GPIO chip with <c>count</c> lines that remembers modes and levels.</summary>
    private sealed class FakeGpioDriver(int count) : GpioDriver
    {
        public readonly int[] Levels = new int[count];
        public readonly PinMode[] Modes = new PinMode[count];

        protected override int PinCount => count;

        protected override void OpenPin(int pinNumber)
        {
            if (pinNumber >= count) throw new ArgumentException($"no line {pinNumber}");
        }

        protected override void ClosePin(int pinNumber)
        {
        }

        protected override void SetPinMode(int pinNumber, PinMode mode) => Modes[pinNumber] = mode;

        protected override PinMode GetPinMode(int pinNumber) => Modes[pinNumber];

        protected override bool IsPinModeSupported(int pinNumber, PinMode mode) => true;

        protected override PinValue Read(int pinNumber) => Levels[pinNumber] == 1 ? PinValue.High : PinValue.Low;

        protected override void Write(int pinNumber, PinValue value) => Levels[pinNumber] = value == PinValue.High ? 1 : 0;

        protected override WaitForEventResult WaitForEvent(int pinNumber, PinEventTypes eventTypes, CancellationToken cancellationToken) => throw new NotSupportedException();

        protected override void AddCallbackForPinValueChangedEvent(int pinNumber, PinEventTypes eventTypes, PinChangeEventHandler callback) => throw new NotSupportedException();

        protected override void RemoveCallbackForPinValueChangedEvent(int pinNumber, PinChangeEventHandler callback) => throw new NotSupportedException();
    }

    /// <summary>An MCP23017 (BANK=0) as the bus sees it: a register pointer with auto-increment; GPIOx reads back OLATx.</summary>
    private sealed class FakeMcp23017 : I2cDevice
    {
        public readonly byte[] Registers = new byte[0x16];
        private int _pointer;

        public FakeMcp23017()
        {
            Registers[0x00] = Registers[0x01] = 0xFF; // IODIR: inputs after reset
        }

        public override I2cConnectionSettings ConnectionSettings { get; } = new(1, 0x20);

        public override byte ReadByte()
        {
            Span<byte> one = stackalloc byte[1];
            Read(one);
            return one[0];
        }

        public override void Read(Span<byte> buffer)
        {
            for (var i = 0; i < buffer.Length; i++, _pointer++)
                buffer[i] = Registers[_pointer is 0x12 or 0x13 ? _pointer + 2 : _pointer];
        }

        public override void WriteByte(byte value) => Write([value]);

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _pointer = buffer[0];
            foreach (var b in buffer[1..])
            {
                // Writing GPIOx writes the output latch.
                Registers[_pointer is 0x12 or 0x13 ? _pointer + 2 : _pointer] = b;
                _pointer++;
            }
        }

        public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
        {
            Write(writeBuffer);
            Read(readBuffer);
        }
    }
}
