using HilRig.Rig.Drivers.Power.Gpio;
using HilRig.Rig.Drivers.Power.Relays;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Model;

namespace HilRig.Rig.Drivers.Power;

/// <summary>Builds the power switch a physical board's rig entry names (one of <see cref="Model.Schema.RigSchema.PowerDrivers"/>).</summary>
public static class PowerSwitches
{
    public static IPowerSwitch Create(BoardDefinition board)
    {
        if (board.Driver("relay_power") is { } relay) return Relay(relay);
        if (board.Driver("gpio_power") is { } gpio)
        {
            var chip = gpio.RequiredString("chip");
            return new GpioLineSwitch(GpioChips.OpenChip(chip), gpio.Int("line"), gpio.Bool("active_low"), $"gpio_power ({chip} line {gpio.Int("line")})");
        }
        if (board.Driver("i2c_power") is { } i2c)
        {
            var description = $"i2c_power ({i2c.String("chip")} on /dev/i2c-{i2c.Int("bus")} at 0x{i2c.Int("address"):x2}, pin {i2c.Int("pin")})";
            return new GpioLineSwitch(GpioChips.OpenExpander(i2c.Int("bus"), i2c.Int("address"), i2c.String("chip")!), i2c.Int("pin"), i2c.Bool("active_low"), description);
        }
        if (board.Driver("external_power") is { } external)
            return new ExternalCommandSwitch(board.Name,
                new ExternalPowerOptions(external.RequiredString("on"), external.RequiredString("off"), external.String("cut"), external.Duration("cycle_delay")));
        throw new PowerSwitchException($"board {board.Name} has no power driver");
    }

    /// <summary>The time a cycle leaves power off, from whichever power driver the board names.</summary>
    public static TimeSpan CycleDelay(BoardDefinition board) =>
        Model.Schema.RigSchema.PowerDrivers.Select(board.Driver).FirstOrDefault(d => d is not null)?.Duration("cycle_delay") ?? TimeSpan.FromSeconds(1);

    private static IPowerSwitch Relay(OptionValues relay)
    {
        var settings = SerialSettings.From(relay, defaultBaud: 9600);
        System.IO.Ports.SerialPort port;
        try
        {
            port = SerialLine.Open(settings);
        }
        catch (IOException e)
        {
            throw new PowerSwitchException($"relay_power ({relay.String("protocol")}): {e.Message}", e);
        }
        var transport = new SerialTransport(port, relay.Duration("timeout"));
        return relay.String("protocol") == "modbus-rtu"
            ? new ModbusRtuRelay(transport, (byte)relay.Int("unit"), (ushort)relay.Int("coil"), relay.Bool("verify"))
            : new LcusRelay(transport, relay.Int("channel"), relay.Bool("verify"));
    }
}
