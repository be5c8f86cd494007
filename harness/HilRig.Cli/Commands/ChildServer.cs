using System.Diagnostics;
using HilRig.Rig.Drivers.ProcessBoard;

namespace HilRig.Cli.Commands;

/// <summary>
/// A server a benchmark runs as its own process: started with its stdin as a lifeline (it exits when we close it, or
/// when we die), ready when it prints "… listening on URL", and measurable by the CPU time it has used.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;

    private ChildServer(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>The CPU time (user + system) the server has used so far.</summary>
    public TimeSpan Cpu()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    public static async Task<ChildServer> StartAsync(string name, string program, IReadOnlyList<string> arguments, string listeningPrefix, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start the {name} ({program})");
        ChildProcesses.Track(process);
        var output = new List<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null) return;
            lock (output) output.Add(line);
            var at = line.IndexOf(listeningPrefix, StringComparison.Ordinal);
            if (at >= 0) listening.TrySetResult(new Uri(line[(at + listeningPrefix.Length)..].Trim()));
        }
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ChildServer(process, new Uri("http://starting/"));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(StartTimeout);
            var exited = process.WaitForExitAsync(timeout.Token);
            if (await Task.WhenAny(listening.Task, exited) != listening.Task)
            {
                ct.ThrowIfCancellationRequested();
                string text;
                lock (output) text = string.Join('\n', output.TakeLast(20));
                throw new InvalidOperationException(process.HasExited
                    ? $"the {name} exited with {process.ExitCode} before listening:\n{text}"
                    : $"the {name} did not listen within {StartTimeout.TotalSeconds} s:\n{text}");
            }
            return new ChildServer(process, await listening.Task);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            try { _process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        ChildProcesses.Forget(_process);
        _process.Dispose();
    }
}
