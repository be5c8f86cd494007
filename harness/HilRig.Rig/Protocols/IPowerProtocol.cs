namespace HilRig.Rig.Protocols;

/// <summary>Switches a board's power: a process board's process, a QEMU instance, a relay on a real board.</summary>
public interface IPowerProtocol
{
    PowerState State { get; }

    /// <summary>Every power transition so far, for the report and the fault timeline.</summary>
    IReadOnlyList<PowerEvent> History { get; }

    /// <summary>Applies power. Returns once power is on; waiting for the boot is the console's business.</summary>
    Task OnAsync(CancellationToken cancellation = default);

    /// <summary>Orderly power-down: the board gets the chance to shut down cleanly, then power is removed.</summary>
    Task OffAsync(CancellationToken cancellation = default);

    /// <summary>Off, then on.</summary>
    Task CycleAsync(CancellationToken cancellation = default);

    /// <summary>Power removed at once, mid-whatever: unflushed writes are lost, as when a plug is pulled.</summary>
    Task CutAsync(CancellationToken cancellation = default);
}

public enum PowerState
{
    Off,
    On,
}

/// <summary>A power transition and why it happened (a step, a fault plan, the board rebooting itself).</summary>
public sealed record PowerEvent(DateTimeOffset At, PowerEventKind Kind, string? Detail = null);

public enum PowerEventKind
{
    On,
    Off,
    Cut,
    Reboot,
    UnexpectedExit,
}
