using System.CommandLine;
using HilRig.Cli.Output;
using HilRig.Engine.Reports;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig results merge DIR… [--out DIR]</c>: the results of the shards of one run (each machine's <c>--results</c>)
/// as one run's reports — Allure results, JUnit XML, Cucumber Messages and the HTML report made from them, artifacts and
/// the manifest — in the whole run's scenario order. Results of different hilrig versions, or of shards that split the
/// run differently, are refused with the reason (exit 2); a shard that is missing is named, and the merge goes on.
/// </summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var inputs = new Argument<string[]>("DIR") { Description = "results directories of the shards (each has hilrig-run.json)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out", "-o") { Description = "where the merged reports go", DefaultValueFactory = _ => Path.Combine("reports", "merged") };
        var merge = new Command("merge", "Merge the results of several shards into one run's reports") { inputs, output };
        merge.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var outDir = parse.GetValue(output)!;
            MergeSummary summary;
            try
            {
                // The inputs are checked before anything is written: a refused merge leaves no half-merged directory.
                summary = ResultsMerger.Merge(parse.GetValue(inputs)!, outDir);
            }
            catch (ResultsMergeException e)
            {
                throw new Loading.UsageException($"results merge: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Loading.UsageException($"results merge --out {outDir}: cannot write there ({e.Message})");
            }
            foreach (var warning in summary.Warnings) Terminal.Error("hilrig: warning: " + warning);
            var manifest = RunManifest.Read(outDir)!;
            var outcomes = manifest.Scenarios.GroupBy(s => s.Flaky ? "flaky" : s.Outcome).Select(g => $"{g.Count()} {g.Key}");
            Terminal.Line($"merged {summary.Inputs} result director{(summary.Inputs == 1 ? "y" : "ies")}: {summary.Scenarios} scenario(s): {string.Join(", ", outcomes)}");
            Terminal.Line($"report: {Path.Combine(outDir, "cucumber-report.html")} · {Path.Combine(outDir, "allure-results")} · {Path.Combine(outDir, "junit.xml")} · " +
                          $"{Path.Combine(outDir, "cucumber-messages.ndjson")}");
            return Task.FromResult(ExitCodes.Passed);
        }));
        return new Command("results", "Work with the results of runs") { merge };
    }
}
