using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers;

/// <summary>
/// The power sequence of every board HilRig starts itself (a process, a QEMU machine, a container): one power action
/// at a time, a history of power events, a first power-on that prepares the board, each boot read from where it
/// begins on the console, and no power-on once the scenario has released the board. A driver says how to start,
/// stop in order and cut one launch of its board; the sequence acts on the launch it ended, never on "whatever runs
/// now", so a power action racing the board's own reboot or the exit of an earlier launch cannot hit the wrong one.
/// </summary>
/// <typeparam name="TLaunch">One start of the board (a process, a QEMU instance, a container run).</typeparam>
public abstract class PoweredBoardDriver<TLaunch> : IPowerProtocol, IBoardHealth where TLaunch : class
{
    private readonly SemaphoreSlim _powerLock = new(1, 1);
    private readonly List<PowerEvent> _history = new();
    private bool _firstPowerOnDone;
    private bool _released;

    protected PoweredBoardDriver(string name) => BoardName = name;

    protected string BoardName { get; }

    /// <summary>Guards the launch state that power actions share with the driver's exit watcher.</summary>
    protected object Gate { get; } = new();

    /// <summary>The console whose read position a new boot moves to the end of the log.</summary>
    protected abstract IConsoleProtocol BoardConsole { get; }

    public abstract PowerState State { get; }

    public IReadOnlyList<PowerEvent> History
    {
        get
        {
            lock (Gate) return _history.ToList();
        }
    }

    public string? StopReason { get; protected set; }

    public bool StopWasRigFault { get; protected set; }

    /// <summary>Work to do once before the first power-on (e.g. create the board's network namespace or SimNet port).</summary>
    public List<Func<CancellationToken, Task>> BeforeFirstPowerOn { get; } = new();

    /// <summary>Set by <see cref="MarkReleased"/>: nothing may start the board again.</summary>
    protected bool Released
    {
        get
        {
            lock (Gate) return _released;
        }
    }

    public async Task OnAsync(CancellationToken cancellation = default)
    {
        await _powerLock.WaitAsync(cancellation);
        try
        {
            ThrowIfReleased();
            if (State == PowerState.On) return;
            if (!_firstPowerOnDone)
            {
                await PrepareFirstPowerOnAsync(cancellation);
                _firstPowerOnDone = true;
            }
            ThrowIfReleased();
            // A new power-on starts a new boot: expectations look at this boot's output only, and whatever stopped the
            // previous one no longer describes the board.
            BoardConsole.ReadPosition = BoardConsole.Log.Length;
            lock (Gate)
            {
                StopReason = null;
                StopWasRigFault = false;
            }
            Record(PowerEventKind.On);
            await StartAsync("power-on", cancellation);
        }
        finally
        {
            _powerLock.Release();
        }
    }

    public Task OffAsync(CancellationToken cancellation = default) => EndLaunchAsync(PowerEventKind.Off, StopOrderlyAsync, cancellation);

    public async Task CycleAsync(CancellationToken cancellation = default)
    {
        await OffAsync(cancellation);
        await OnAsync(cancellation);
    }

    public Task CutAsync(CancellationToken cancellation = default) => EndLaunchAsync(PowerEventKind.Cut, CutPowerAsync, cancellation);

    /// <summary>Ends the current launch, if any, recording why; returns once it has ended.</summary>
    private async Task EndLaunchAsync(PowerEventKind kind, Func<TLaunch, CancellationToken, Task> end, CancellationToken cancellation)
    {
        await _powerLock.WaitAsync(cancellation);
        try
        {
            var launch = EndCurrentLaunch();
            if (launch is null) return;
            Record(kind);
            await end(launch, cancellation);
        }
        finally
        {
            _powerLock.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> as a power action of its own, for what the board does by itself (the reset circuit
    /// restarting it after a reboot), so it cannot interleave with a power action a step asked for.
    /// </summary>
    protected async Task UnderPowerLockAsync(Func<Task> action)
    {
        await _powerLock.WaitAsync();
        try
        {
            await action();
        }
        finally
        {
            _powerLock.Release();
        }
    }

    /// <summary>Runs <see cref="BeforeFirstPowerOn"/>; a driver that must do more around it (pull an image) overrides this.</summary>
    protected virtual async Task PrepareFirstPowerOnAsync(CancellationToken cancellation)
    {
        foreach (var setup in BeforeFirstPowerOn) await setup(cancellation);
    }

    /// <summary>Starts a new launch of the board, booting for <paramref name="bootReason"/>.</summary>
    protected abstract Task StartAsync(string bootReason, CancellationToken cancellation);

    /// <summary>Marks the current launch (under <see cref="Gate"/>) as ended on purpose and returns it, or null when the board is off.</summary>
    protected abstract TLaunch? EndCurrentLaunch();

    /// <summary>Gives the launch its chance to shut down cleanly, removes power, and returns once it has ended.</summary>
    protected abstract Task StopOrderlyAsync(TLaunch launch, CancellationToken cancellation);

    /// <summary>Ends the launch at once, whatever it was doing, and returns once it has ended.</summary>
    protected abstract Task CutPowerAsync(TLaunch launch, CancellationToken cancellation);

    protected void Record(PowerEventKind kind, string? detail = null)
    {
        lock (Gate) _history.Add(new PowerEvent(DateTimeOffset.Now, kind, detail));
        if (kind is PowerEventKind.On or PowerEventKind.Off or PowerEventKind.Cut) BoardConsole.Log.Annotate($"power {kind.ToString().ToLowerInvariant()}");
    }

    /// <summary>The scenario's teardown has the board: called first by a driver's dispose, before it cuts the power.</summary>
    protected void MarkReleased()
    {
        lock (Gate) _released = true;
    }

    /// <summary>
    /// Once the scenario's teardown released the board, nothing powers it on again: a step that outlived its scenario
    /// (it ignored its cancellation) would otherwise start a device, a machine or a namespace that nobody stops.
    /// </summary>
    private void ThrowIfReleased()
    {
        if (Released)
            throw new TestDefectException(
                $"board {BoardName} was released at the end of its scenario; a step that outlived the scenario tried to power it on");
    }
}
