using HilRig.Rig.Boards;
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
        var device = board.TryGet<IDeviceProcessProtocol>(out var d) ? d!
            : throw new RigFaultException($"board {board.Name} has no device process a fault can kill (its kind runs a kernel of its own: cut its power instead)");
        if (process is not (null or "device"))
            throw new ArgumentException($"board {board.Name}: its one process is 'device' (got '{process}')");
        await device.KillDeviceProcessAsync(cancellationToken);
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
