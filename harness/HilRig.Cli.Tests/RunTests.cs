using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>Runs that pass, fail, break and replay, as a QA engineer and CI see them.</summary>
[NonParallelizable]
public class RunTests
{
    [Test]
    public async Task Run_UpdateScenario_WithARelativeResultsDirectory_BoardsFindWhatTheStepsWroteThere()
    {
        // The default `./hilrig run` writes to reports/ (relative); devices run in their own directories, so a path
        // handed to a board must be absolute: node credentials were not ("cannot read the node certificate") and
        // every update scenario failed under `./hilrig run` while the NUnit bridge (absolute temp paths) passed.
        RequiredTool.RequireRoot("the default rig's SimNet namespaces");
        var results = Path.GetRelativePath(RepoPaths.Root, Hilrig.Results("relative"));
        Assume.That(Path.IsPathRooted(results), Is.False);
        var r = await Hilrig.RunAsync("run", "scenarios/update/update.feature:11", "--results", results);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        Assert.That(r.Stdout, Does.Contain("1 scenario(s): 1 passed"));
    }

    [Test]
    public async Task Run_StepFails_ScenarioFailsWithLocation_RunGoesOn_Exit1_WithReplayLine()
    {
        var results = Hilrig.Results("failing");
        var r = await Hilrig.RunAsync("run", "fixtures/features/failing/mixed.feature", "--seed", "42", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain("✘ a product failure  fixtures/features/failing/mixed.feature:2"));
        Assert.That(r.Stdout, Does.Contain("Step failed at fixtures/features/failing/mixed.feature:5: Then the command succeeds"));
        Assert.That(r.Stdout, Does.Contain("expected `false` on board dut to exit with 0, but it exited with 1"));
        Assert.That(r.Stdout, Does.Contain("replay: ./hilrig run fixtures/features/failing/mixed.feature:2 --seed 42"));
        Assert.That(r.Stdout, Does.Contain("✔ passes after the failure"), "the run goes on after a failure");
        Assert.That(r.Stdout, Does.Contain("? an undefined step"));
        Assert.That(r.Stdout, Does.Contain("[When(\"I flash {string} onto board {board} at {int} volts\")]"), "a ready-to-paste snippet");
        Assert.That(r.Stdout, Does.Contain("public void WhenIFlashOntoBoardAtVolts(string p0, Board board, int p2)"), "{board} where the step says board \"dut\"");

        var junit = XDocument.Load(Path.Combine(results, "junit.xml"));
        Assert.That(junit.Root!.Attribute("tests")!.Value, Is.EqualTo("3"));
        Assert.That(junit.Root!.Attribute("failures")!.Value, Is.EqualTo("1"));
        Assert.That(junit.Root!.Attribute("errors")!.Value, Is.EqualTo("1"), "the undefined step");

        var allure = Directory.GetFiles(Path.Combine(results, "allure-results"), "*-result.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement).ToList();
        Assert.That(allure.Select(a => a.GetProperty("status").GetString()), Is.EquivalentTo(new[] { "failed", "passed", "broken" }));
        var failed = allure.Single(a => a.GetProperty("status").GetString() == "failed");
        Assert.That(failed.GetProperty("statusDetails").GetProperty("message").GetString(), Does.Contain("mixed.feature:5"));
        Assert.That(failed.GetProperty("attachments").EnumerateArray().Select(a => a.GetProperty("name").GetString()), Does.Contain("dut console"));
        Assert.That(File.Exists(Path.Combine(results, "allure-results", "categories.json")));
        Assert.That(File.Exists(Path.Combine(results, "allure-results", "environment.properties")));
        Assert.That(File.Exists(Path.Combine(results, "allure-results", "executor.json")));
    }

    [Test]
    public async Task ReplayLine_RerunsExactlyThatScenarioWithTheSameSeed()
    {
        var first = await Hilrig.RunAsync("run", "fixtures/features/failing/mixed.feature", "--seed", "7", "--results", Hilrig.Results("replay1"));
        var replay = first.Stdout.Split('\n').First(l => l.Contains("replay:") && l.Contains(":2 ")).Split("replay: ./hilrig ")[1].Trim();
        var second = await Hilrig.RunAsync([.. replay.Split(' '), "--results", Hilrig.Results("replay2")]);
        Assert.That(second.ExitCode, Is.EqualTo(1), second.ToString());
        Assert.That(second.Stdout, Does.Contain("seed 7").And.Contain("1 scenario(s): 1 failed"));
        Assert.That(second.Stdout, Does.Contain("replay: ./hilrig run fixtures/features/failing/mixed.feature:2 --seed 7"));
    }

    [Test]
    public async Task Run_Smoke_OnTheDefaultRig_Exit0_LeavesAllureJUnitAndCucumberReports()
    {
        var results = Hilrig.Results("smoke");
        var r = await Hilrig.RunAsync("run", "--tags", "@smoke", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var scenarios = Directory.GetFiles(Path.Combine(results, "allure-results"), "*-result.json").Length;
        Assert.That(scenarios, Is.GreaterThanOrEqualTo(3));
        Assert.That(File.Exists(Path.Combine(results, "junit.xml")));
        var messages = File.ReadAllLines(Path.Combine(results, "cucumber-messages.ndjson"));
        Assert.That(messages.Count(l => l.StartsWith("{\"testCaseFinished\"")), Is.EqualTo(scenarios));
        Assert.That(messages[^1], Does.StartWith("{\"testRunFinished\":{\"success\":true"));
        Assert.That(new FileInfo(Path.Combine(results, "cucumber-report.html")).Length, Is.GreaterThan(100_000), "scripts and styles are inline");
        Assert.That(r.Stdout, Does.Contain("cucumber-report.html"));

        var report = await Hilrig.RunAsync(new Dictionary<string, string?> { ["HILRIG_ALLURE"] = "/nonexistent/allure" }, "report", "--results", results);
        Assert.That(report.ExitCode, Is.EqualTo(0), report.ToString());
        Assert.That(report.Stdout, Does.Contain($"report: {Path.Combine(results, "cucumber-report.html")}"));
        Assert.That(report.Stdout, Does.Contain("allure: not rendered: allure-commandline is not installed"));
    }

    [Test]
    public async Task Run_RigFault_Exit3_ClassifiedAsBroken()
    {
        var results = Hilrig.Results("rigfault");
        var r = await Hilrig.RunAsync("run", "fixtures/features/good/listing.feature:7", "--rig", "fixtures/rigs/broken-power.yaml", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        // The run's health check is the first to switch the board on, so the fault is reported as its failure.
        Assert.That(r.Stdout, Does.Contain("[rig] board dut failed its health check in this run").And.Contain("power on failed: external_power: the on command")
            .And.Contain("failed (exit 4): PDU 10.0.0.9 unreachable"));
        var result = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(results, "allure-results"), "*-result.json").Single())).RootElement;
        Assert.That(result.GetProperty("status").GetString(), Is.EqualTo("broken"));
        Assert.That(result.GetProperty("parameters").EnumerateArray().Any(p => p.GetProperty("name").GetString() == "seed" && p.GetProperty("excluded").GetBoolean()));
    }

    [Test]
    public async Task Run_UnknownBoardName_IsATestDefect_NotAProductFailureOrRigFault()
    {
        var results = Hilrig.Results("unknown-board");
        var r = await Hilrig.RunAsync("run", "fixtures/features/failing/unknown-board.feature", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Stdout, Does.Contain("E names a board the rig does not have").And.Contain("has no board \"dutt\"; its boards: dut, main"));
        Assert.That(r.Stdout, Does.Contain("1 scenario(s): 1 test defect"));
        var error = XDocument.Load(Path.Combine(results, "junit.xml")).Descendants("error").Single();
        Assert.That(error.Attribute("type")!.Value, Is.EqualTo("test-defect"));
    }

    [Test]
    public async Task DryRun_BindsEveryStep_StartsNoBoard()
    {
        var results = Hilrig.Results("dry");
        var r = await Hilrig.RunAsync("run", "fixtures/features/good", "--dry-run", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("dry run").And.Contain("3 scenario(s): 3 skipped"));
        Assert.That(Directory.GetDirectories(Path.Combine(results, "artifacts")).SelectMany(d => Directory.GetDirectories(d, "boards")), Is.Empty,
            "a dry run powers nothing on");
        var undefined = await Hilrig.RunAsync("run", "fixtures/features/failing/mixed.feature", "--dry-run", "--results", Hilrig.Results("dry2"));
        Assert.That(undefined.ExitCode, Is.EqualTo(1), "a dry run fails when a step does not bind");
    }

    [Test]
    public async Task KilledHarness_LeavesNoDeviceProcess()
    {
        var results = Hilrig.Results("killed");
        using var harness = Hilrig.Start("run", "fixtures/features/failing/hang.feature", "--results", results);
        var marker = Path.GetFullPath(results);
        int[] Devices() => ProcessTable.Matching(cmd => cmd.Contains("HilRig.Device.dll") && cmd.Contains(marker));
        await Eventually.TrueAsync(() => Devices().Length > 0, TimeSpan.FromSeconds(60), "the device started");
        harness.Kill();
        await harness.WaitForExitAsync();
        await Eventually.TrueAsync(() => Devices().Length == 0, TimeSpan.FromSeconds(15), "no device process outlives the killed harness");
    }
}
