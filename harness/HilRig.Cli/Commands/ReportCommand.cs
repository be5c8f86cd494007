using System.CommandLine;
using System.Diagnostics;
using HilRig.Cli.Output;
using HilRig.Rig.Model;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig report</c>: renders the Allure results as an HTML report with allure-commandline.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var results = new Option<string>("--results") { Description = "the run's results directory", DefaultValueFactory = _ => "reports" };
        var output = new Option<string?>("--output", "-o") { Description = "where to write the HTML report (default: RESULTS/allure-report)" };
        var command = new Command("report", "Render the Allure results as HTML (needs allure-commandline from npm and Java)") { results, output };
        command.SetAction(async (parse, cancellation) =>
        {
            var resultsDir = parse.GetValue(results)!;
            var allureResults = Path.Combine(resultsDir, "allure-results");
            if (!Directory.Exists(allureResults))
            {
                Terminal.Error($"hilrig: no results in {allureResults}; run `./hilrig run` first");
                return ExitCodes.Usage;
            }
            var allure = FindAllure();
            if (allure is null)
            {
                Terminal.Error("hilrig: allure-commandline is not installed. Install it with\n" +
                               "  (cd tools/allure && npm ci)    (or: npm install -g allure-commandline)\n" +
                               "It needs Java 8 or newer (apt-get install default-jre-headless). Then run `./hilrig report` again.");
                return ExitCodes.RigFault;
            }
            var target = parse.GetValue(output) ?? Path.Combine(resultsDir, "allure-report");
            // Trend graphs: carry history/ from the previous report into the results before generating.
            var history = Path.Combine(target, "history");
            if (Directory.Exists(history))
            {
                var into = Path.Combine(allureResults, "history");
                Directory.CreateDirectory(into);
                foreach (var f in Directory.EnumerateFiles(history)) File.Copy(f, Path.Combine(into, Path.GetFileName(f)), overwrite: true);
            }
            var info = new ProcessStartInfo(allure) { UseShellExecute = false };
            foreach (var a in new[] { "generate", allureResults, "-o", target, "--clean" }) info.ArgumentList.Add(a);
            using var process = Process.Start(info)!;
            await process.WaitForExitAsync(cancellation);
            if (process.ExitCode != 0) return ExitCodes.RigFault;
            Terminal.Line($"report: {Path.Combine(target, "index.html")}");
            return ExitCodes.Passed;
        });
        return command;
    }

    /// <summary>$HILRIG_ALLURE if set (even to a missing path: that means "none"), else tools/allure, else PATH.</summary>
    private static string? FindAllure()
    {
        if (Environment.GetEnvironmentVariable("HILRIG_ALLURE") is { Length: > 0 } forced) return File.Exists(forced) ? forced : null;
        var root = Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? Environment.CurrentDirectory;
        var local = Path.Combine(root, "tools", "allure", "node_modules", ".bin", "allure");
        return File.Exists(local) ? local : RigProbe.FindOnPath("allure");
    }
}
