using System.Device.Gpio;

namespace HilRig.Rig.Drivers.Power.Gpio;

/// <summary>
/// A board's supply switched by one GPIO output (a relay driver or load switch on a Linux GPIO line, or a pin of an
/// I2C expander, which Iot.Device.Bindings also presents as a <see cref="GpioDriver"/>). With active-low wiring the
/// board is on while the line is low. The line is driven to "off" when it is opened, so a bench never powers a board
/// just because the harness started.
/// </summary>
public sealed class GpioLineSwitch : IPowerSwitch
{
    private readonly GpioController _controller;
    private readonly int _line;
    private readonly bool _activeLow;

    public GpioLineSwitch(GpioDriver driver, int line, bool activeLow, string description)
    {
        Description = description;
        _controller = new GpioController(driver);
        _line = line;
        _activeLow = activeLow;
        if (line < 0 || line >= _controller.PinCount)
        {
            var count = _controller.PinCount;
            _controller.Dispose();
            throw new PowerSwitchException($"{description}: line {line} does not exist (the chip has lines 0..{count - 1})");
        }
        try
        {
            // Off before output: the line must not glitch to "on" while it becomes an output.
            _controller.OpenPin(line, PinMode.Output, Level(false));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            _controller.Dispose();
            throw new PowerSwitchException($"{description}: cannot drive line {line}: {e.Message}", e);
        }
    }

    public string Description { get; }

    private PinValue Level(bool on) => on ^ _activeLow ? PinValue.High : PinValue.Low;

    public Task SetAsync(bool on, CancellationToken cancellation = default)
    {
        try
        {
            _controller.Write(_line, Level(on));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            throw new PowerSwitchException($"{Description}: writing line {_line} failed: {e.Message}", e);
        }
        return Task.CompletedTask;
    }

    public Task<bool?> ReadAsync(CancellationToken cancellation = default)
    {
        try
        {
            return Task.FromResult<bool?>(_controller.Read(_line) == Level(true));
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            throw new PowerSwitchException($"{Description}: reading line {_line} failed: {e.Message}", e);
        }
    }

    public ValueTask DisposeAsync()
    {
        _controller.Dispose();
        return ValueTask.CompletedTask;
    }
}
