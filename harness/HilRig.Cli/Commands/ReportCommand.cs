using System.CommandLine;
using System.Diagnostics;
using HilRig.Cli.Output;
using HilRig.Rig.Model;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig report</c>: the run's Cucumber HTML report (written by every run, needs nothing to view) — opened in the
/// desktop's browser when there is one, its path printed always — and, when allure-commandline and Java are
/// installed, the Allure report rendered from the Allure results.
/// </summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var results = new Option<string>("--results") { Description = "the run's results directory", DefaultValueFactory = _ => "reports" };
        var output = new Option<string?>("--output", "-o") { Description = "where to write the Allure HTML report (default: RESULTS/allure-report)" };
        var command = new Command("report", "Show the Cucumber HTML report of a run; render the Allure report too when allure-commandline and Java are installed")
        {
            results, output,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var resultsDir = parse.GetValue(results)!;
            var html = Path.Combine(resultsDir, "cucumber-report.html");
            var allureResults = Path.Combine(resultsDir, "allure-results");
            var hasHtml = File.Exists(html);
            if (!hasHtml && !Directory.Exists(allureResults))
            {
                Terminal.Error($"hilrig: no results in {resultsDir}; run `./hilrig run` first");
                return ExitCodes.Usage;
            }
            if (hasHtml)
            {
                Terminal.Line($"report: {html}");
                OpenInBrowser(html);
            }
            var allure = FindAllure();
            var java = RigProbe.FindOnPath("java");
            if (allure is null || java is null)
            {
                var missing = allure is null ? "allure-commandline is not installed" : "Java is not installed (allure-commandline runs on it)";
                var how = "Install allure-commandline with\n" +
                          "  (cd tools/allure && npm ci)    (or: npm install -g allure-commandline)\n" +
                          "and Java 8 or newer (apt-get install default-jre-headless), then run `./hilrig report` again.";
                // Without the Cucumber report there is nothing to show: that is a failure; with it, Allure is an extra.
                if (!hasHtml)
                {
                    Terminal.Error($"hilrig: {missing}, and {resultsDir} has no cucumber-report.html. {how}");
                    return ExitCodes.RigFault;
                }
                Terminal.Line($"allure: not rendered: {missing}. {how}");
                return ExitCodes.Passed;
            }
            if (!Directory.Exists(allureResults)) return ExitCodes.Passed;
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
            Terminal.Line($"allure: {Path.Combine(target, "index.html")}");
            return ExitCodes.Passed;
        });
        return command;
    }

    /// <summary>Hands the report to the desktop's browser (xdg-open) when a person sits at a graphical terminal; otherwise the printed path is it.</summary>
    private static void OpenInBrowser(string path)
    {
        if (!Terminal.Interactive) return;
        if (Environment.GetEnvironmentVariable("DISPLAY") is not { Length: > 0 } && Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is not { Length: > 0 }) return;
        if (RigProbe.FindOnPath("xdg-open") is not { } open) return;
        var info = new ProcessStartInfo(open) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.GetFullPath(path));
        Process.Start(info)?.Dispose();
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
