using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using HilRig.Engine.Reports;
using HilRig.Engine.Runtime;
using HilRig.Engine.Tests.Runtime;
using HilRig.Testing;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Reports;

/// <summary>
/// A run's Cucumber Messages (the ndjson) hold together as the schema says, and the HTML report Cucumber.HtmlFormatter
/// makes of them renders in a real browser with the scenarios and the failure a reader looks for.
/// </summary>
[NonParallelizable]
public class CucumberMessagesWriterTests
{
    [Binding]
    public sealed class ReportSteps(ScenarioOutput output)
    {
        [Given("a board boots")]
        public void Boots() => output.AttachText("dut console", "U-Boot 2026.01\nLinux version 6.1 发现\nlogin:");

        [When("its capture is {int} KiB")]
        public void Capture(int kib)
        {
            var path = Path.Combine(output.Directory, $"capture-{kib}.pcapng");
            File.WriteAllBytes(path, new byte[kib * 1024]);
            output.AttachFile("simnet capture", MediaTypes.Pcap, path);
        }

        [Then("the update reaches version {string}")]
        public void Reaches(string version)
        {
            if (version != "2.0.0") throw new InvalidOperationException($"the unit reported version 1.0.0, not {version}");
        }
    }

    private const string Feature = """
        @report
        Feature: Reported run

          Scenario: A board boots and updates
            Given a board boots
            When its capture is 4 KiB
            Then the update reaches version "2.0.0"

          Scenario: The update stalls at the old version
            Given a board boots
            When its capture is 1100 KiB
            Then the update reaches version "3.0.0"

          Scenario Outline: Unknown step on <board>
            Given a board boots
            When the relay of <board> clicks

            Examples: relays
              | board |
              | bench |
        """;

    private static async Task<(string Results, List<JsonElement> Envelopes)> RunAsync()
    {
        var results = RepoPaths.NewTempDirectory("messages");
        await RunnerTestKit.RunAsync(Feature, [typeof(ReportSteps)], resultsDirectory: results, listeners: dir => [new CucumberMessagesWriter(dir)]);
        var envelopes = File.ReadAllLines(Path.Combine(results, "cucumber-messages.ndjson")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        return (results, envelopes);
    }

    private static IEnumerable<JsonElement> All(List<JsonElement> envelopes, string kind) =>
        envelopes.Where(e => e.TryGetProperty(kind, out _)).Select(e => e.GetProperty(kind));

    [Test]
    public async Task Ndjson_HoldsTogetherAsTheSchemaSays()
    {
        var (results, envelopes) = await RunAsync();
        Assert.That(envelopes.Select(e => e.EnumerateObject().Single().Name).ToList(), Has.Exactly(1).EqualTo("meta"));
        Assert.That(envelopes[0].TryGetProperty("meta", out _), "meta comes first");
        Assert.That(envelopes[^1].TryGetProperty("testRunFinished", out var finished), "testRunFinished comes last");
        Assert.That(finished.GetProperty("success").GetBoolean(), Is.False);

        var source = All(envelopes, "source").Single();
        Assert.That(source.GetProperty("mediaType").GetString(), Is.EqualTo("text/x.cucumber.gherkin+plain"));
        Assert.That(All(envelopes, "gherkinDocument").Single().GetProperty("uri").GetString(), Is.EqualTo("kit.feature"));
        var pickles = All(envelopes, "pickle").ToList();
        Assert.That(pickles.Select(p => p.GetProperty("name").GetString()),
            Is.EqualTo(new[] { "A board boots and updates", "The update stalls at the old version", "Unknown step on bench" }));

        // Every reference resolves: test cases to pickles, test steps to pickle steps and step definitions, results to steps.
        var stepDefinitions = All(envelopes, "stepDefinition").Select(d => d.GetProperty("id").GetString()).ToHashSet();
        var hooks = All(envelopes, "hook").Select(h => h.GetProperty("id").GetString()).ToHashSet();
        var pickleSteps = pickles.SelectMany(p => p.GetProperty("steps").EnumerateArray()).Select(s => s.GetProperty("id").GetString()).ToHashSet();
        var testCases = All(envelopes, "testCase").ToList();
        Assert.That(testCases.Select(t => t.GetProperty("pickleId").GetString()), Is.EquivalentTo(pickles.Select(p => p.GetProperty("id").GetString())));
        var testSteps = new HashSet<string?>();
        foreach (var step in testCases.SelectMany(t => t.GetProperty("testSteps").EnumerateArray()))
        {
            testSteps.Add(step.GetProperty("id").GetString());
            if (step.TryGetProperty("hookId", out var hookId)) Assert.That(hooks, Does.Contain(hookId.GetString()));
            else
            {
                Assert.That(pickleSteps, Does.Contain(step.GetProperty("pickleStepId").GetString()));
                Assert.That(step.GetProperty("stepDefinitionIds").EnumerateArray().Select(i => i.GetString()), Is.SubsetOf(stepDefinitions));
            }
        }
        Assert.That(All(envelopes, "testStepFinished").Select(f => f.GetProperty("testStepId").GetString()), Is.SubsetOf(testSteps));
        Assert.That(All(envelopes, "testCaseStarted").Count(), Is.EqualTo(3));
        Assert.That(All(envelopes, "testCaseFinished").Count(), Is.EqualTo(3));

        var statuses = All(envelopes, "testStepFinished").Select(f => f.GetProperty("testStepResult").GetProperty("status").GetString()).ToList();
        Assert.That(statuses, Has.Exactly(1).EqualTo("FAILED").And.Exactly(1).EqualTo("UNDEFINED"));
        var failed = All(envelopes, "testStepFinished").Select(f => f.GetProperty("testStepResult")).Single(r => r.GetProperty("status").GetString() == "FAILED");
        Assert.That(failed.GetProperty("message").GetString(), Does.Contain("the unit reported version 1.0.0, not 3.0.0"));
        Assert.That(failed.GetProperty("exception").GetProperty("type").GetString(), Is.EqualTo("System.InvalidOperationException"));
        var suggestion = All(envelopes, "suggestion").Single();
        Assert.That(suggestion.GetProperty("snippets")[0].GetProperty("code").GetString(), Does.Contain("[When(\"the relay of bench clicks\")]"));

        // Console logs as text, small captures embedded as base64, large ones linked where they lie.
        var attachments = All(envelopes, "attachment").ToList();
        Assert.That(attachments.Where(a => a.GetProperty("fileName").GetString() == "dut console.txt").Select(a => a.GetProperty("body").GetString()),
            Has.Exactly(3).Contains("发现"));
        var pcap = attachments.Single(a => a.GetProperty("mediaType").GetString() == MediaTypes.Pcap);
        Assert.That(pcap.GetProperty("contentEncoding").GetString(), Is.EqualTo("BASE64"));
        Assert.That(Convert.FromBase64String(pcap.GetProperty("body").GetString()!), Has.Length.EqualTo(4096));
        var linked = All(envelopes, "externalAttachment").Single();
        Assert.That(File.Exists(Path.Combine(results, linked.GetProperty("url").GetString()!)), linked.ToString());
        Assert.That(File.Exists(Path.Combine(results, "cucumber-report.html")) && !File.Exists(Path.Combine(results, "cucumber-report.html.partial")));
    }

    [Test]
    public async Task HtmlReport_RendersScenariosAndTheFailureInChromium()
    {
        var chromium = RequiredTool.Require("chromium", "the Cucumber HTML report is checked in a real browser");
        var (results, _) = await RunAsync();
        var html = Path.Combine(results, "cucumber-report.html");
        Assert.That(File.ReadAllText(html), Does.Not.Match("<script[^>]+src=\"http"), "self-contained: no script is fetched");
        var dom = await DumpDomAsync(chromium, html, Path.Combine(results, "chromium-profile"));
        var text = WebUtility.HtmlDecode(Regex.Replace(Regex.Replace(dom, "<(script|style)[^>]*>.*?</\\1>", "", RegexOptions.Singleline), "<[^>]+>", " "));
        Assert.That(text, Does.Contain("Reported run"));
        Assert.That(text, Does.Contain("A board boots and updates").And.Contain("The update stalls at the old version"));
        Assert.That(text, Does.Contain("Unknown step on <board>").And.Contain("relays"), "an outline shows as written, with its Examples");
        Assert.That(text, Does.Contain("too large to embed; it is at artifacts/"), "a large capture says where it is");
        Assert.That(text, Does.Contain("the unit reported version 1.0.0, not 3.0.0"), "the failed step's message is shown");
        Assert.That(text, Does.Match(@"failed\s+1").And.Match(@"undefined\s+1").And.Match(@"passed\s+1"), "the summary counts");
    }

    /// <summary>The DOM after the report's scripts ran, from headless Chromium (flags known to work here: no network, fresh profile).</summary>
    private static async Task<string> DumpDomAsync(string chromium, string file, string profile)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}", "--virtual-time-budget=10000", "--dump-dom",
                     new Uri(Path.GetFullPath(file)).AbsoluteUri,
                 })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within 2 minutes: {await stderr}");
        }
        Assert.That(process.ExitCode, Is.EqualTo(0), await stderr);
        return await stdout;
    }
}
