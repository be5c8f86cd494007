using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Power;

/// <summary>
/// A physical board's power protocol over one <see cref="IPowerSwitch"/> (labgrid's DigitalOutputPowerDriver): on and
/// cut switch it; an orderly off first types <c>poweroff</c> at the shell when the board has one and waits for its last
/// words; a cycle waits <c>cycle_delay</c> with power off. A switch that fails is a rig fault naming board, driver and
/// what the switch answered. Work that must precede a power-on (deploying an image, the run's health check) runs first.
/// </summary>
public sealed class SwitchedPower(string boardName, IPowerSwitch powerSwitch, IConsoleProtocol console, TimeSpan cycleDelay, TimeProvider? time = null)
    : IPowerProtocol, IAsyncDisposable
{
    private readonly List<PowerEvent> _history = new();
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private PowerState _state = PowerState.Off;

    public IPowerSwitch Switch => powerSwitch;

    public PowerState State
    {
        get
        {
            lock (_history) return _state;
        }
    }

    public IReadOnlyList<PowerEvent> History
    {
        get
        {
            lock (_history) return _history.ToList();
        }
    }

    /// <summary>Runs before every power-on from off, in order (deploy, health check).</summary>
    public List<Func<CancellationToken, Task>> BeforePowerOn { get; } = new();

    /// <summary>Told when power is applied: a new boot starts (the boot strategy resets its state).</summary>
    public event Action? PoweredOn;

    /// <summary>Whether the board is at a shell that can be asked to shut down, and how (set by the boot strategy).</summary>
    public Func<bool>? ShellIsUp { get; set; }

    /// <summary>What the board prints last on an orderly power-down.</summary>
    public string PowerDownText { get; init; } = "reboot: Power down";

    /// <summary>How long an orderly power-down may take before power is removed anyway.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task OnAsync(CancellationToken cancellation = default)
    {
        await _lock.WaitAsync(cancellation);
        try
        {
            if (State == PowerState.On) return;
            foreach (var before in BeforePowerOn) await before(cancellation);
            await SwitchOnLockedAsync(cancellation);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Switches on without the before-power-on work: for the health check itself.</summary>
    internal async Task SwitchOnLockedAsync(CancellationToken cancellation)
    {
        // A new power-on starts a new boot: expectations look at this boot's output only.
        console.ReadPosition = console.Log.Length;
        await SwitchAsync(true, PowerEventKind.On, cancellation);
        PoweredOn?.Invoke();
    }

    public async Task OffAsync(CancellationToken cancellation = default)
    {
        await _lock.WaitAsync(cancellation);
        try
        {
            if (State == PowerState.Off) return;
            if (ShellIsUp?.Invoke() == true) await ShutDownAsync(cancellation);
            await SwitchAsync(false, PowerEventKind.Off, cancellation);
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task CutAsync(CancellationToken cancellation = default)
    {
        await _lock.WaitAsync(cancellation);
        try
        {
            await SwitchAsync(false, PowerEventKind.Cut, cancellation);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Switches off without taking the lock or asking the shell: the health check and disposal use it.</summary>
    internal Task CutLockedAsync(CancellationToken cancellation) => SwitchAsync(false, PowerEventKind.Cut, cancellation);

    public async Task CycleAsync(CancellationToken cancellation = default)
    {
        await OffAsync(cancellation);
        await Task.Delay(cycleDelay, _time, cancellation);
        await OnAsync(cancellation);
    }

    private async Task ShutDownAsync(CancellationToken cancellation)
    {
        // The shutdown's output stays unread: steps after the power-off may look for it, as on a process board.
        var readPosition = console.ReadPosition;
        try
        {
            await console.SendAsync("poweroff\n", cancellation);
            await console.ExpectAsync(new Regex(Regex.Escape(PowerDownText)), ShutdownTimeout, cancellation);
        }
        catch (Exception e) when (e is ConsoleTimeoutException or IOException)
        {
            console.Log.Annotate($"no \"{PowerDownText}\" within {ShutdownTimeout.TotalSeconds:0} s of `poweroff`; removing power anyway");
        }
        finally
        {
            console.ReadPosition = readPosition;
        }
    }

    private async Task SwitchAsync(bool on, PowerEventKind kind, CancellationToken cancellation)
    {
        try
        {
            if (kind == PowerEventKind.Cut) await powerSwitch.CutAsync(cancellation);
            else await powerSwitch.SetAsync(on, cancellation);
        }
        catch (PowerSwitchException e)
        {
            console.Log.Annotate($"power {kind.ToString().ToLowerInvariant()} failed: {e.Message}");
            throw new RigFaultException($"board {boardName}: power {kind.ToString().ToLowerInvariant()} failed: {e.Message}", e);
        }
        lock (_history)
        {
            _state = on ? PowerState.On : PowerState.Off;
            _history.Add(new PowerEvent(DateTimeOffset.Now, kind, powerSwitch.Description));
        }
        console.Log.Annotate($"power {kind.ToString().ToLowerInvariant()} ({powerSwitch.Description})");
    }

    public async ValueTask DisposeAsync()
    {
        await powerSwitch.DisposeAsync();
        _lock.Dispose();
    }
}
