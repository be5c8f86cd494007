using System.Diagnostics;
using System.Text.Json;
using HilRig.Testing;

namespace HilRig.Update.Tests.Interop;

/// <summary>
/// A node.js gRPC peer from tools/grpc-interop, run as a child process that prints one JSON event per line.
/// Installs the npm packages with <c>npm ci</c> the first time (node_modules is not in git).
/// </summary>
internal sealed class NodePeer : IAsyncDisposable
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private readonly Process _process;
    private readonly List<JsonElement> _events = new();
    private readonly List<string> _stderr = new();

    private NodePeer(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data)) return;
            lock (_events) _events.Add(JsonDocument.Parse(e.Data).RootElement.Clone());
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static string Directory => RepoPaths.Fixtures("..", "tools", "grpc-interop");

    public IReadOnlyList<JsonElement> Events { get { lock (_events) return _events.ToList(); } }

    public string Stderr { get { lock (_stderr) return string.Join("\n", _stderr); } }

    public static async Task EnsureInstalledAsync()
    {
        var node = RequiredTool.Require("node", "the interop tests run @grpc/grpc-js peers");
        RequiredTool.Require("npm", "installs @grpc/grpc-js into tools/grpc-interop");
        await InstallLock.WaitAsync();
        try
        {
            if (System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@grpc", "grpc-js"))) return;
            var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund")
            {
                WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true,
            })!;
            var stderr = npm.StandardError.ReadToEndAsync();
            await npm.StandardOutput.ReadToEndAsync();
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci in {Directory} failed ({npm.ExitCode}): {await stderr}");
        }
        finally { InstallLock.Release(); }
    }

    public static NodePeer Start(string script, params string[] args)
    {
        var info = new ProcessStartInfo("node") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(script);
        foreach (var a in args) info.ArgumentList.Add(a);
        return new NodePeer(Process.Start(info)!);
    }

    public async Task<JsonElement> WaitForEventAsync(Func<JsonElement, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var found = Events.FirstOrDefault(match);
            if (found.ValueKind != JsonValueKind.Undefined) return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"node peer: no {what}; events: {string.Join(" ", Events.Select(e => e.GetRawText()))}; stderr: {Stderr}");
            await Task.Delay(10);
        }
    }

    public static bool Is(JsonElement e, string name) => e.TryGetProperty("event", out var v) && v.GetString() == name;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
