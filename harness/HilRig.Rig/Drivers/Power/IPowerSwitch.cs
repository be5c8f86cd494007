namespace HilRig.Rig.Drivers.Power;

/// <summary>
/// Something that switches a board's supply: a relay channel, a GPIO line, an expander pin, a PDU command. Only on and
/// off; what a board makes of it (boot, orderly shutdown, history) is <see cref="SwitchedPower"/>'s business.
/// Failures throw <see cref="PowerSwitchException"/> saying what the switch did or did not answer.
/// </summary>
public interface IPowerSwitch : IAsyncDisposable
{
    /// <summary>The driver and where it is, for messages: <c>relay_power (lcus, /dev/ttyUSB1 channel 1)</c>.</summary>
    string Description { get; }

    Task SetAsync(bool on, CancellationToken cancellation = default);

    /// <summary>Removes power at once; the same as off for anything but a PDU with a separate cut command.</summary>
    Task CutAsync(CancellationToken cancellation = default) => SetAsync(false, cancellation);

    /// <summary>The switch's own account of its state, or null when it cannot tell.</summary>
    Task<bool?> ReadAsync(CancellationToken cancellation = default);
}

/// <summary>A power switch did not do what it was told, or did not answer; the message says what was seen.</summary>
public sealed class PowerSwitchException(string message, Exception? inner = null) : IOException(message, inner);
