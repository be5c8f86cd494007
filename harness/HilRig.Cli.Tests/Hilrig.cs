using System.Diagnostics;
using HilRig.Testing;

namespace HilRig.Cli.Tests;

/// <summary>Runs the built hilrig command as a process, from the repository root, and captures what it did.</summary>
internal static class Hilrig
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string All => Stdout + Stderr;

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    public static string Dll
    {
        get
        {
            // …/bin/<Configuration>/net10.0/: run the CLI built with the same configuration as these tests.
            var configuration = AppContext.BaseDirectory.TrimEnd('/').Split('/')[^2];
            var path = Path.Combine(RepoPaths.Root, "harness", "HilRig.Cli", "bin", configuration, "net10.0", "hilrig.dll");
            if (!File.Exists(path)) throw new FileNotFoundException($"build the CLI first: {path}");
            return path;
        }
    }

    public static Process Start(params string[] args) => Start(new Dictionary<string, string?>(), args);

    public static Process Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["CI"] = null;
        info.Environment["TERM"] = "dumb";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return Process.Start(info)!;
    }

    public static Task<Result> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string?>(), args);

    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunAsync(TimeSpan.FromMinutes(3), environment, args);

    /// <summary>Runs with a longer limit than the usual 3 minutes (QEMU scenarios under TCG).</summary>
    public static async Task<Result> RunAsync(TimeSpan limit, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        using var process = Start(environment, args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A results directory of its own, so tests never read each other's reports.</summary>
    public static string Results(string name) => Path.Combine(RepoPaths.NewTempDirectory(name), "results");
}
