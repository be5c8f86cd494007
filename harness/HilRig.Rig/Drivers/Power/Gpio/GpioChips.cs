using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Device.I2c;
using Iot.Device.Mcp23xxx;

namespace HilRig.Rig.Drivers.Power.Gpio;

/// <summary>
/// Opens the real buses behind <c>gpio_power</c> and <c>i2c_power</c>: a Linux GPIO chip through libgpiod, an
/// MCP23008/MCP23017 on /dev/i2c-N. Missing chips and buses are named before the native layer is asked, so the error says
/// which file is missing instead of a libgpiod status code. Tests hand <see cref="GpioLineSwitch"/> fakes instead.
/// </summary>
public static class GpioChips
{
    /// <summary>Reads <c>gpiochip0</c>, <c>/dev/gpiochip0</c> or <c>0</c> as a chip number.</summary>
    public static int ChipNumber(string chip)
    {
        var name = Path.GetFileName(chip);
        var digits = name.StartsWith("gpiochip", StringComparison.Ordinal) ? name["gpiochip".Length..] : name;
        return int.TryParse(digits, out var n) && n >= 0
            ? n
            : throw new PowerSwitchException($"gpio_power: '{chip}' is not a GPIO chip name (write gpiochip0, /dev/gpiochip0 or 0)");
    }

    public static GpioDriver OpenChip(string chip, string devDirectory = "/dev")
    {
        var number = ChipNumber(chip);
        var path = Path.Combine(devDirectory, $"gpiochip{number}");
        if (!File.Exists(path))
        {
            var present = Directory.Exists(devDirectory)
                ? Directory.EnumerateFileSystemEntries(devDirectory, "gpiochip*").Select(Path.GetFileName).Order().ToList()
                : [];
            throw new PowerSwitchException($"gpio_power: GPIO chip {path} does not exist; chips here: {(present.Count == 0 ? "none" : string.Join(", ", present))}");
        }
        try
        {
            return new LibGpiodDriver(number);
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException or DllNotFoundException or InvalidOperationException)
        {
            throw new PowerSwitchException($"gpio_power: cannot open {path} through libgpiod (apt-get install libgpiod2): {e.Message}", e);
        }
    }

    public static GpioDriver OpenExpander(int bus, int address, string chip)
    {
        var path = $"/dev/i2c-{bus}";
        if (!File.Exists(path))
            throw new PowerSwitchException($"i2c_power: I2C bus {path} does not exist (is i2c-dev loaded?)");
        var device = I2cDevice.Create(new I2cConnectionSettings(bus, address));
        return Expander(device, chip);
    }

    /// <summary>The Iot.Device.Bindings driver for the expander on <paramref name="device"/>.</summary>
    public static GpioDriver Expander(I2cDevice device, string chip) => chip switch
    {
        "mcp23008" => new Mcp23008(device),
        _ => new Mcp23017(device),
    };
}
