using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>
/// Runs at scale, as CI and a QA engineer see them through the real hilrig: shards that merge into the same run as
/// one unsharded run, reruns of what failed, --fail-fast and --name, a CI heartbeat, and Ctrl-C on a real run — the
/// reports complete and nothing the run started left behind.
/// </summary>
[NonParallelizable]
public class ScaleTests
{
    private const string Mixed = "fixtures/features/failing/mixed.feature";
    private const string Good = "fixtures/features/good";

    private static (string Location, string Outcome)[] Outcomes(string results) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(results, "hilrig-run.json")))!["scenarios"]!.AsArray()
            .Select(s => (s!["location"]!.GetValue<string>(), s["outcome"]!.GetValue<string>())).ToArray();

    [Test]
    public async Task Shards_1of2_And_2of2_Merged_AreTheSameScenariosAndOutcomesAsOneRun()
    {
        var whole = Hilrig.Results("whole");
        var one = await Hilrig.RunAsync("run", Mixed, Good, "--seed", "11", "--results", whole);
        Assert.That(one.ExitCode, Is.EqualTo(1), one.ToString());

        var shards = new List<string>();
        foreach (var shard in new[] { "1/2", "2/2" })
        {
            var dir = Hilrig.Results("shard-" + shard[0]);
            var r = await Hilrig.RunAsync("run", Mixed, Good, "--seed", "11", "--shard", shard, "--results", dir);
            Assert.That(r.ExitCode, Is.AnyOf(0, 1), r.ToString());
            Assert.That(r.Stdout, Does.Contain($"shard {shard}: ").And.Contain("dealt by pickle id"));
            shards.Add(dir);
        }
        Assert.That(Outcomes(shards[0]).Select(o => o.Location).Intersect(Outcomes(shards[1]).Select(o => o.Location)), Is.Empty, "no scenario in both shards");

        var merged = Path.Combine(RepoPaths.NewTempDirectory("merged"), "out");
        var merge = await Hilrig.RunAsync("results", "merge", shards[0], shards[1], "--out", merged);
        Assert.That(merge.ExitCode, Is.EqualTo(0), merge.ToString());
        Assert.That(merge.Stdout, Does.Contain("merged 2 result directories: 6 scenario(s)"));

        Assert.That(Outcomes(merged), Is.EqualTo(Outcomes(whole)), "the same scenarios, outcomes and order as one run");
        var junitWhole = XDocument.Load(Path.Combine(whole, "junit.xml")).Root!;
        var junitMerged = XDocument.Load(Path.Combine(merged, "junit.xml")).Root!;
        foreach (var attribute in new[] { "tests", "failures", "errors", "skipped" })
            Assert.That(junitMerged.Attribute(attribute)!.Value, Is.EqualTo(junitWhole.Attribute(attribute)!.Value), attribute);
        Assert.That(junitMerged.Descendants("testcase").Select(c => c.Attribute("name")!.Value),
            Is.EqualTo(junitWhole.Descendants("testcase").Select(c => c.Attribute("name")!.Value)));

        var messages = File.ReadAllLines(Path.Combine(merged, "cucumber-messages.ndjson")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.That(messages.Count(m => m.ContainsKey("testRunStarted")), Is.EqualTo(1));
        Assert.That(messages.Count(m => m.ContainsKey("testRunFinished")), Is.EqualTo(1));
        Assert.That(messages[^1]["testRunFinished"]!["success"]!.GetValue<bool>(), Is.False);
        Assert.That(messages.Count(m => m.ContainsKey("testCase")), Is.EqualTo(6));
        Assert.That(messages.Count(m => m.ContainsKey("stepDefinition")),
            Is.EqualTo(File.ReadAllLines(Path.Combine(whole, "cucumber-messages.ndjson")).Count(l => l.StartsWith("{\"stepDefinition\""))), "definitions once");
        var pickleIds = messages.Where(m => m.ContainsKey("pickle")).Select(m => m["pickle"]!["id"]!.GetValue<string>()).ToList();
        var wholeIds = File.ReadAllLines(Path.Combine(whole, "cucumber-messages.ndjson")).Where(l => l.StartsWith("{\"pickle\""))
            .Select(l => JsonNode.Parse(l)!["pickle"]!["id"]!.GetValue<string>()).ToList();
        Assert.That(pickleIds, Is.EqualTo(wholeIds), "pickles in the whole run's order");
        Assert.That(new FileInfo(Path.Combine(merged, "cucumber-report.html")).Length, Is.GreaterThan(100_000));
        Assert.That(Directory.GetFiles(Path.Combine(merged, "allure-results"), "*-result.json"), Has.Length.EqualTo(6));
        var linked = messages.Where(m => m.ContainsKey("externalAttachment")).Select(m => m["externalAttachment"]!["url"]!.GetValue<string>());
        Assert.That(linked.Where(u => !File.Exists(Path.Combine(merged, u))), Is.Empty, "linked artifacts came along");
    }

    [Test]
    public async Task Merge_ResultsOfDifferentVersions_Or_OverlappingShards_Exit2WithTheReason()
    {
        var a = Hilrig.Results("v-a");
        var b = Hilrig.Results("v-b");
        Assert.That((await Hilrig.RunAsync("run", Good, "--dry-run", "--shard", "1/2", "--results", a)).ExitCode, Is.EqualTo(0));
        Assert.That((await Hilrig.RunAsync("run", Good, "--dry-run", "--shard", "2/2", "--results", b)).ExitCode, Is.EqualTo(0));
        var manifest = Path.Combine(b, "hilrig-run.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!;
        json["hilrig"] = "0.9.0+0123456789abcdef";
        File.WriteAllText(manifest, json.ToJsonString());
        var r = await Hilrig.RunAsync("results", "merge", a, b, "--out", Path.Combine(RepoPaths.NewTempDirectory("v-out"), "out"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("results of different hilrig versions do not merge").And.Contain("0.9.0+0123456789abcdef"));

        var again = await Hilrig.RunAsync("results", "merge", a, a, "--out", Path.Combine(RepoPaths.NewTempDirectory("dup-out"), "out"));
        Assert.That(again.ExitCode, Is.EqualTo(2), again.ToString());
        Assert.That(again.Stderr, Does.Contain("is in both").And.Contain("shards must split one run"));

        var none = await Hilrig.RunAsync("results", "merge", RepoPaths.NewTempDirectory("empty"));
        Assert.That(none.ExitCode, Is.EqualTo(2), none.ToString());
        Assert.That(none.Stderr, Does.Contain("no hilrig-run.json"));
    }

    [Test]
    public async Task List_Shards_SplitTheSelectionExactly()
    {
        var all = await Hilrig.RunAsync("list", Mixed, Good, "--json");
        var first = await Hilrig.RunAsync("list", Mixed, Good, "--json", "--shard", "1/2");
        var second = await Hilrig.RunAsync("list", Mixed, Good, "--json", "--shard", "2/2");
        string[] Ids(Hilrig.Result r) => JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToArray();
        Assert.That(Ids(first).Concat(Ids(second)), Is.EquivalentTo(Ids(all)));
        Assert.That(Ids(first), Has.Length.EqualTo(3), "dealt evenly without durations");
    }

    [Test]
    public async Task RerunFailed_RunsWhatFailedLastTime_FailFastAndName_NarrowIt()
    {
        var results = Hilrig.Results("rerun");
        var first = await Hilrig.RunAsync("run", Mixed, Good, "--seed", "4", "--results", results);
        Assert.That(first.ExitCode, Is.EqualTo(1), first.ToString());
        Assert.That(first.Stdout, Does.Contain("Failed scenarios (2):").And.Contain("replay: ./hilrig run fixtures/features/failing/mixed.feature:2 --seed 4"));

        var rerun = await Hilrig.RunAsync("run", Mixed, Good, "--seed", "4", "--rerun-failed", "--results", results);
        Assert.That(rerun.ExitCode, Is.EqualTo(1), rerun.ToString());
        Assert.That(Outcomes(results).Select(o => o.Location), Is.EqualTo(new[] { $"{Mixed}:2", $"{Mixed}:12" }));

        var failFast = await Hilrig.RunAsync("run", Mixed, "--workers", "1", "--fail-fast", "--results", Hilrig.Results("failfast"));
        Assert.That(failFast.ExitCode, Is.EqualTo(1), failFast.ToString());
        Assert.That(failFast.Stdout, Does.Contain("not run: --fail-fast stopped the run after fixtures/features/failing/mixed.feature:2 (failed)"));
        Assert.That(failFast.Stdout, Does.Contain("3 scenario(s): 2 skipped, 1 failed"));

        var named = await Hilrig.RunAsync("run", Mixed, Good, "--name", "^passes", "--results", Hilrig.Results("named"));
        Assert.That(named.ExitCode, Is.EqualTo(0), named.ToString());
        Assert.That(named.Stdout, Does.Contain("1 scenario(s): 1 passed"));

        var nothing = await Hilrig.RunAsync("run", Good, "--rerun-failed", "--results", Hilrig.Results("never-ran"));
        Assert.That(nothing.ExitCode, Is.EqualTo(2), nothing.ToString());
        Assert.That(nothing.Stderr, Does.Contain("--rerun-failed: no results of an earlier run"));
    }

    [TestCase("--workers", "0", "--workers 0: at least 1")]
    [TestCase("--shard", "3/2", "--shard '3/2': there is no shard 3 of 2")]
    [TestCase("--retry", "-1", "--retry -1: the number of extra attempts is 0 or more")]
    [TestCase("--name", "boot(", "--name 'boot(' is not a regular expression")]
    public async Task Run_BadScaleOption_Exit2WithTheReason(string option, string value, string expected)
    {
        var results = Hilrig.Results("bad-option");
        var r = await Hilrig.RunAsync("run", Good, option, value, "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(expected));
        Assert.That(Directory.Exists(results), Is.False, "nothing was run or written");
    }

    [Test]
    public async Task Run_ResultsDirectoryNotWritable_Exit2BeforeAnythingRuns()
    {
        var file = Path.Combine(RepoPaths.NewTempDirectory("not-dir"), "a-file");
        File.WriteAllText(file, "");
        var r = await Hilrig.RunAsync("run", Good, "--results", Path.Combine(file, "results"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain($"--results {Path.Combine(file, "results")}: not a writable directory"));
        Assert.That(r.Stdout, Does.Not.Contain("hilrig run "), "no run started");
    }

    /// <summary>
    /// SIGINT in the middle of a real scenario (a board running, waiting on its console): a CI heartbeat said what was
    /// running; the run exits 130 with every report complete — the running scenario and the unrun ones skipped with the
    /// reason — and no device process or network namespace of the run is left.
    /// </summary>
    [Test]
    public async Task CtrlC_DuringARealRun_ReportsComplete_NothingLeft_Exit130()
    {
        RequiredTool.RequireRoot("the default rig puts boards in SimNet network namespaces");
        var results = Hilrig.Results("sigint");
        var (exit, stdout, pid) = await InterruptAsync(results, signals: 1, grace: "30s");
        Assert.That(exit, Is.EqualTo(130), stdout);
        Assert.That(stdout, Does.Contain("… 0/4 done; running: fixtures/features/failing/hang.feature:2"), "the heartbeat named the running scenario");
        Assert.That(stdout, Does.Contain("interrupted by SIGINT during step fixtures/features/failing/hang.feature:4"));

        var junit = XDocument.Load(Path.Combine(results, "junit.xml")).Root!;
        Assert.That(junit.Attribute("tests")!.Value, Is.EqualTo("4"), "every scenario is in the report");
        Assert.That(junit.Attribute("skipped")!.Value, Is.EqualTo("4"));
        Assert.That(junit.Descendants("skipped").Select(s => s.Attribute("message")!.Value),
            Has.Exactly(3).EqualTo("not run: interrupted by SIGINT").And.Exactly(1).StartsWith("interrupted by SIGINT during step"));
        var messages = File.ReadAllLines(Path.Combine(results, "cucumber-messages.ndjson"));
        Assert.That(messages[^1], Does.StartWith("{\"testRunFinished\":{\"message\":\"interrupted by SIGINT\",\"success\":false"));
        Assert.That(messages.Count(l => l.StartsWith("{\"testCaseFinished\"")), Is.EqualTo(4));
        Assert.That(File.Exists(Path.Combine(results, "cucumber-report.html")));
        Assert.That(Directory.GetFiles(Path.Combine(results, "allure-results"), "*-result.json"), Has.Length.EqualTo(4));
        Assert.That(JsonNode.Parse(File.ReadAllText(Path.Combine(results, "hilrig-run.json")))!["interrupted"]!.GetValue<string>(), Is.EqualTo("interrupted by SIGINT"));
        AssertNothingLeft(results, pid);
    }

    [Test]
    public async Task CtrlC_Twice_EndsAtOnce_StillNothingLeft()
    {
        RequiredTool.RequireRoot("the default rig puts boards in SimNet network namespaces");
        var results = Hilrig.Results("sigint2");
        var clock = Stopwatch.StartNew();
        var (exit, stdout, pid) = await InterruptAsync(results, signals: 2, grace: "5min");
        Assert.That(exit, Is.EqualTo(130), stdout);
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMinutes(2)), "the second Ctrl-C did not wait out the 5-minute grace period");
        Assert.That(File.Exists(Path.Combine(results, "junit.xml")));
        AssertNothingLeft(results, pid);
    }

    private static async Task<(int Exit, string Stdout, int Pid)> InterruptAsync(string results, int signals, string grace)
    {
        using var harness = Hilrig.Start(new Dictionary<string, string?> { ["CI"] = "true" },
            "run", "fixtures/features/failing/hang.feature", Good, "--workers", "1", "--grace-period", grace, "--results", results);
        var stdout = new System.Text.StringBuilder();
        harness.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
        harness.BeginOutputReadLine();
        var stderr = harness.StandardError.ReadToEndAsync();
        string Out()
        {
            lock (stdout) return stdout.ToString();
        }
        await Eventually.TrueAsync(() => Out().Contains("… 0/4 done; running:"), TimeSpan.FromSeconds(60), "a progress line while the scenario waits");
        for (var i = 0; i < signals; i++)
        {
            Assert.That(Kill(harness.Id, 2), Is.EqualTo(0), "kill -INT");
            await Task.Delay(200);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await harness.WaitForExitAsync(timeout.Token);
        return (harness.ExitCode, Out() + await stderr, harness.Id);
    }

    private static void AssertNothingLeft(string results, int pid)
    {
        var marker = Path.GetFullPath(results);
        var devices = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit))
            .Where(n => ReadCmdline(n!) is { } cmd && cmd.Contains("HilRig.") && cmd.Contains(marker)).ToList();
        Assert.That(devices, Is.Empty, "no board or cloud process of the run is left");
        var namespaces = Directory.Exists("/run/netns") ? Directory.GetFiles("/run/netns", $"hrsn-{pid}-*") : [];
        Assert.That(namespaces, Is.Empty, "no network namespace of the run is left");
    }

    private static string? ReadCmdline(string pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
