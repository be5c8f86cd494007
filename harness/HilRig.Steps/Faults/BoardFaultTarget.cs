using HilRig.Rig.Boards;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Protocols;
using HilRig.Engine.Runtime;
using HilRig.Simulators.Faults;

namespace HilRig.Steps.Faults;

/// <summary>
/// A board as a fault plan sees it. A power cut goes through the board's Power protocol (a process board: SIGKILL
/// of its process group; a physical board: its relay or PDU), so plans work on any board kind. A kill ends the
/// board's main process without a clean shutdown and without a power event: on a process board that is the device
/// process (SIGKILL of that pid), which the driver then reports as an unexpected exit.
/// </summary>
public sealed class BoardFaultTarget(string name, Func<Board> resolve, TimeProvider time) : IFaultTarget, IAsyncDisposable
{
    private readonly List<Task> _restores = new();
    private readonly CancellationTokenSource _stop = new();

    private Board? _board;

    public string Name => name;

    /// <summary>The board, built on first use: a plan naming a board does not build it until a fault reaches it.</summary>
    private Board board => _board ??= resolve();

    public async Task PowerCutAsync(TimeSpan? restoreAfter, CancellationToken cancellationToken)
    {
        await board.Power.CutAsync(cancellationToken);
        if (restoreAfter is not { } delay) return;
        // The plan goes on while the board is dark; the restore happens on its own clock.
        lock (_restores) _restores.Add(RestoreAsync(delay));
    }

    private async Task RestoreAsync(TimeSpan delay)
    {
        await Task.Delay(delay, time, _stop.Token);
        await board.Power.OnAsync(_stop.Token);
    }

    public async Task KillProcessAsync(string? process, CancellationToken cancellationToken)
    {
        if (board.TryGet<IDeviceProcessProtocol>(out var device))
        {
            if (process is not (null or "device"))
                throw new ArgumentException($"board {board.Name}: its one process is 'device' (got '{process}')");
            await device!.KillDeviceProcessAsync(cancellationToken);
            return;
        }
        var driver = board.Drivers.OfType<ProcessBoardDriver>().SingleOrDefault()
            ?? throw new RigFaultException($"board {board.Name} is not a process board: killing a process needs its process driver");
        if (process is not (null or "device"))
            throw new ArgumentException($"board {board.Name} is a process board: its one process is 'device' (got '{process}')");
        var pid = driver.ProcessId ?? throw new InvalidOperationException($"board {board.Name} is not running: there is no device process to kill");
        var exited = driver.NextExit;
        // The launcher (`ip netns exec`) and the device under it: SIGKILL to both, and no power event is recorded, so
        // the driver sees an unexpected exit. Waiting on the driver, not the Process: the device's pipes close with it.
        using (var p = System.Diagnostics.Process.GetProcessById(pid)) p.Kill(entireProcessTree: true);
        await exited.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    /// <summary>Waits for pending power restores (errors surface here), or stops them when the scenario ends first.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] restores;
        lock (_restores) restores = _restores.ToArray();
        try
        {
            await Task.WhenAll(restores);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
