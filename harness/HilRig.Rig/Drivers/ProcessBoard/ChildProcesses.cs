using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Drivers.ProcessBoard;

/// <summary>
/// Every board process (and cloud process) the harness started, so none outlives it: they are killed when the harness
/// exits normally or on SIGINT/SIGTERM — unless a host handles interrupts itself (<c>hilrig run</c> lets running
/// scenarios tear down within a grace period first, then calls <see cref="Leftovers.CleanUp"/>). On SIGKILL of the
/// harness, each device's lifeline pipe closes and the device exits by itself.
/// </summary>
public static class ChildProcesses
{
    /// <summary>Set by a host that handles SIGINT/SIGTERM itself: the signals then kill nothing here.</summary>
    public static bool InterruptsHandledByHost { get; set; }

    private static readonly ConcurrentDictionary<int, System.Diagnostics.Process> Running = new();
    private static int _hooked;
    private static PosixSignalRegistration? _sigterm;
    private static PosixSignalRegistration? _sigint;

    public static void Track(System.Diagnostics.Process process)
    {
        if (Interlocked.Exchange(ref _hooked, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => OnSignal());
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => OnSignal());
            Leftovers.Register("board and cloud processes", KillAll);
        }
        Running[process.Id] = process;
    }

    private static void OnSignal()
    {
        if (!InterruptsHandledByHost) KillAll();
    }

    public static void Forget(System.Diagnostics.Process process) => Running.TryRemove(process.Id, out _);

    public static int Count => Running.Count;

    public static void KillAll()
    {
        foreach (var (_, process) in Running)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
        }
        Running.Clear();
    }
}
