using System.Runtime.InteropServices;
using HilRig.Cli.Output;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.ProcessBoard;

namespace HilRig.Cli.Commands;

/// <summary>
/// Ctrl-C and SIGTERM during <c>hilrig run</c>. The first stops the run from starting scenarios and tells the running ones
/// to stop; they tear down (boards off, captures closed) within the grace period, after which the run stops waiting
/// (<see cref="Abandon"/>), kills what remains (<see cref="Leftovers"/>) and writes every report — unrun scenarios skipped
/// with the reason — and exits 130. A second signal ends the wait at once; if the process is still there a few seconds
/// later (a report writer stuck on a dead disk), it kills what remains and exits 130 from here. Board processes die with
/// the harness in every case (their lifeline), and the sweep of the next run would find namespaces, but neither is left
/// to them: the clean-up runs before exit.
/// </summary>
public sealed class RunInterrupts : IDisposable
{
    public const int ExitCode = 130;
    private static readonly TimeSpan LastWords = TimeSpan.FromSeconds(5);
    private readonly TestRun _run;
    private readonly TimeSpan _grace;
    private readonly CancellationTokenSource _abandon = new();
    private readonly List<PosixSignalRegistration> _registrations = new();
    private int _signals;

    public RunInterrupts(TestRun run, TimeSpan grace)
    {
        _run = run;
        _grace = grace;
        ChildProcesses.InterruptsHandledByHost = true;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                // We end the process ourselves, after the reports.
                context.Cancel = true;
                OnSignal(signal == PosixSignal.SIGINT ? "SIGINT" : "SIGTERM");
            }));
    }

    /// <summary>Cancelled when the run should stop waiting for scenarios: the grace period ran out, or a second signal came.</summary>
    public CancellationToken Abandon => _abandon.Token;

    public bool Interrupted => Volatile.Read(ref _signals) > 0;

    private void OnSignal(string name)
    {
        switch (Interlocked.Increment(ref _signals))
        {
            case 1:
                Terminal.Error($"hilrig: {name}: starting no more scenarios; the running ones stop and tear down (up to {_grace.TotalSeconds:0} s), " +
                               "then every report is written. Press Ctrl-C again to end at once.");
                _run.Interrupt($"interrupted by {name}");
                _abandon.CancelAfter(_grace);
                break;
            case 2:
                Terminal.Error($"hilrig: {name} again: ending now; killing what the run started and writing the reports");
                _abandon.Cancel();
                _ = Task.Delay(LastWords).ContinueWith(_ => Exit(), TaskScheduler.Default);
                break;
            default:
                Exit();
                break;
        }
    }

    /// <summary>What remains of the run is killed and removed; then the process ends, reports or not.</summary>
    private static void Exit()
    {
        foreach (var error in Leftovers.CleanUp()) Terminal.Error("hilrig: " + error);
        Environment.Exit(ExitCode);
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
        ChildProcesses.InterruptsHandledByHost = false;
        _abandon.Dispose();
    }
}
