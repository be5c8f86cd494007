using System.Diagnostics;

namespace HilRig.Rig.Drivers.Power;

/// <summary>Runs a bench command line (<c>/bin/sh -c</c>) with a timeout; a failure is an IOException with its exit code and stderr.</summary>
public static class ShellCommand
{
    public static async Task RunAsync(string command, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, CancellationToken cancellation)
    {
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        foreach (var (k, v) in environment) info.Environment[k] = v;
        using var process = Process.Start(info) ?? throw new IOException($"cannot run /bin/sh for `{command}`");
        var stderr = process.StandardError.ReadToEndAsync(cancellation);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellation.IsCancellationRequested) throw;
            throw new IOException($"`{command}` did not finish within {timeout.TotalSeconds:0.#} s");
        }
        await stdout;
        if (process.ExitCode != 0)
            throw new IOException($"`{command}` failed (exit {process.ExitCode}): {(await stderr).Trim()}");
    }
}
