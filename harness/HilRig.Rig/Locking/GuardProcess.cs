using System.Diagnostics;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.ProcessBoard;

namespace HilRig.Rig.Locking;

/// <summary>
/// The harness side of a board's guard (<c>hilrig rig guard</c>, see <see cref="BoardGuard"/>): a small process that holds
/// the board's lock for this run and switches the board off if the run dies without releasing it — a crash, a SIGKILL,
/// an OOM kill — so no board is left powered by a run that is gone.
/// </summary>
public sealed class GuardProcess : IDisposable
{
    private readonly Process _process;
    private bool _released;

    private GuardProcess(Process process, string board)
    {
        _process = process;
        Board = board;
    }

    public string Board { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the guard and waits until it holds the lock; a board another run holds past the timeout is a rig fault naming the holder.</summary>
    public static GuardProcess Start(string rigFile, string board, TimeSpan lockTimeout, string command)
    {
        var info = new ProcessStartInfo(DeviceLocator.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { CliPath(), "rig", "guard", "--rig", Path.GetFullPath(rigFile), "--board", board, "--holder-pid", Environment.ProcessId.ToString(),
                     "--lock-timeout", $"{(long)lockTimeout.TotalMilliseconds}ms", "--holder-command", command })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new RigFaultException($"board {board}: cannot start its guard process");
        var stderr = process.StandardError.ReadToEndAsync();
        var first = process.StandardOutput.ReadLineAsync();
        if (!first.Wait(lockTimeout + TimeSpan.FromSeconds(60)))
        {
            process.Kill();
            throw new RigFaultException($"board {board}: its guard process did not answer within {(lockTimeout + TimeSpan.FromSeconds(60)).TotalSeconds:0} s");
        }
        var line = first.Result;
        if (line == "locked") return new GuardProcess(process, board);
        process.WaitForExit(5000);
        if (line is not null && line.StartsWith("busy", StringComparison.Ordinal))
        {
            var holder = LockHolder.FromJson(line[4..].Trim());
            throw new RigFaultException(
                $"board {board} is locked by another run: {(holder is null ? "holder unknown" : holder.ToString())}; waited {lockTimeout.TotalSeconds:0.#} s (--lock-timeout)");
        }
        throw new RigFaultException($"board {board}: its guard could not take the lock: {line ?? ""}{stderr.Result.Trim()}");
    }

    /// <summary>The built hilrig command: $HILRIG_CLI, or harness/HilRig.Cli's build in this repository.</summary>
    public static string CliPath()
    {
        if (Environment.GetEnvironmentVariable("HILRIG_CLI") is { Length: > 0 } fromEnv) return fromEnv;
        var root = DeviceLocator.RepositoryRoot() ?? throw new RigFaultException("cannot find the HilRig repository to start a board guard; set HILRIG_CLI");
        var candidates = new[] { DeviceLocator.CurrentConfiguration(), "Release", "Debug" }.Distinct()
            .Select(c => Path.Combine(root, "harness", "HilRig.Cli", "bin", c, "net10.0", "hilrig.dll")).ToList();
        return candidates.FirstOrDefault(File.Exists)
               ?? throw new RigFaultException($"the hilrig command is not built ({candidates[0]}); run `dotnet build harness/HilRig.Cli -c Release`");
    }

    /// <summary>Tells the guard the run is done with the board (power is off): it releases the lock and exits without switching.</summary>
    public void Release()
    {
        if (_released) return;
        _released = true;
        try
        {
            _process.StandardInput.WriteLine("release");
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The guard is already gone; the kernel released its lock.
        }
    }

    public void Dispose()
    {
        Release();
        _process.Dispose();
    }
}
