using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Engine.Reports;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench run [--json]</c>: the default suite run serially (<c>--workers 1</c>, the baseline) and with the
/// default workers, one after the other in this invocation, each as the real <c>hilrig run</c> a user starts, with the
/// same seed; the parallel run balances its start order by the serial run's durations, as a run finds the last run's in
/// its results directory. Target: the parallel run at least 2× faster. The figures count only when both runs end the same way, so
/// the outcomes of both are printed and compared.
/// </summary>
public static class BenchRun
{
    public const double Target = 2.0;

    public static Command Create()
    {
        var json = CommonOptions.Json();
        var features = CommonOptions.Features();
        var tags = CommonOptions.Tags();
        var workers = new Option<int?>("--workers", "-j") { Description = "workers of the parallel run (default: run's default)" };
        var keep = new Option<string?>("--keep") { Description = "keep both runs' results in this directory (serial/, parallel/)" };
        var command = new Command("run", "The default suite serially and in parallel, in the same invocation") { features, tags, json, workers, keep };
        command.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            var asJson = parse.GetValue(json);
            var work = parse.GetValue(keep) is { } k ? Loading.WritableDirectory(k, "--keep") : Directory.CreateTempSubdirectory("hilrig-bench-run").FullName;
            var seed = Random.Shared.Next(1, int.MaxValue);
            var common = new List<string>(parse.GetValue(features) ?? []) { "--seed", seed.ToString() };
            if (parse.GetValue(tags) is { } t) common.AddRange(["--tags", t]);
            try
            {
                var serial = await RunAsync([.. common, "--workers", "1"], Path.Combine(work, "serial"), asJson);
                // As every run after the first finds the last results' durations in reports/, the parallel run finds the
                // serial run's, and starts the longest scenarios first.
                var parallelArgs = new List<string> { "--durations", Path.Combine(work, "serial") };
                if (parse.GetValue(workers) is { } w) parallelArgs.AddRange(["--workers", w.ToString()]);
                var parallel = await RunAsync([.. common, .. parallelArgs], Path.Combine(work, "parallel"), asJson);
                var same = serial.Outcomes.SequenceEqual(parallel.Outcomes);
                var speedup = serial.Seconds / Math.Max(parallel.Seconds, 0.001);
                var result = new BenchRunJson(Math.Round(serial.Seconds, 1), Math.Round(parallel.Seconds, 1), parallel.Manifest.Workers,
                    Math.Round(speedup, 2), Target, speedup >= Target, serial.Manifest.Scenarios.Count, Environment.ProcessorCount, seed,
                    Summary(serial.Manifest), Summary(parallel.Manifest), same, serial.ExitCode, parallel.ExitCode);
                if (asJson)
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(result, BenchRunJsonContext.Default.BenchRunJson));
                }
                else
                {
                    Terminal.Line($"serial    {serial.Seconds,7:0.0} s  (--workers 1: {result.SerialOutcomes})");
                    Terminal.Line($"parallel  {parallel.Seconds,7:0.0} s  ({result.Workers} workers: {result.ParallelOutcomes})");
                    Terminal.Line($"→ {speedup:0.00}× faster on {Environment.ProcessorCount} cores (target ≥ {Target}×){(same ? "" : "; the two runs did not end the same way, so the figure does not count")}");
                }
                return same ? ExitCodes.Passed : ExitCodes.Failed;
            }
            finally
            {
                if (parse.GetValue(keep) is null) Directory.Delete(work, recursive: true);
            }
        }));
        return command;
    }

    private sealed record Measured(double Seconds, RunManifest Manifest, IReadOnlyList<string> Outcomes, int ExitCode);

    /// <summary>One <c>hilrig run</c> as its own process: wall-clock time from start to exit, reports written and all.</summary>
    private static async Task<Measured> RunAsync(IReadOnlyList<string> arguments, string results, bool quiet)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false, RedirectStandardOutput = quiet };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(typeof(BenchRun).Assembly.Location);
        foreach (var a in (string[])["run", .. arguments, "--results", results]) info.ArgumentList.Add(a);
        info.Environment["CI"] = "true"; // plain lines and the progress heartbeat, as in a CI log
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start hilrig run");
        if (quiet) _ = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var seconds = clock.Elapsed.TotalSeconds;
        var manifest = RunManifest.Read(results) ?? throw new Loading.UsageException($"hilrig run {string.Join(' ', arguments)} left no results (exit {process.ExitCode})");
        return new Measured(seconds, manifest, manifest.Scenarios.Select(s => $"{s.Location} {s.Outcome}").ToList(), process.ExitCode);
    }

    private static string Summary(RunManifest manifest) =>
        string.Join(", ", manifest.Scenarios.GroupBy(s => s.Flaky ? "flaky" : s.Outcome).Select(g => $"{g.Count()} {g.Key}"));
}

/// <summary>The keys issue 14 names for <c>hilrig bench run --json</c>, and what makes them trustworthy.</summary>
public sealed record BenchRunJson(
    [property: JsonPropertyName("serial_s")] double SerialSeconds,
    [property: JsonPropertyName("parallel_s")] double ParallelSeconds,
    [property: JsonPropertyName("workers")] int Workers,
    [property: JsonPropertyName("speedup")] double Speedup,
    [property: JsonPropertyName("target_speedup")] double TargetSpeedup,
    [property: JsonPropertyName("target_met")] bool TargetMet,
    [property: JsonPropertyName("scenarios")] int Scenarios,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("serial_outcomes")] string SerialOutcomes,
    [property: JsonPropertyName("parallel_outcomes")] string ParallelOutcomes,
    [property: JsonPropertyName("same_outcomes")] bool SameOutcomes,
    [property: JsonPropertyName("serial_exit")] int SerialExit,
    [property: JsonPropertyName("parallel_exit")] int ParallelExit);

[JsonSerializable(typeof(BenchRunJson))]
internal sealed partial class BenchRunJsonContext : JsonSerializerContext;
