using System.Text.Json;
using System.Xml.Linq;
using HilRig.Engine.Reports;
using HilRig.Engine.Runtime;
using HilRig.Engine.Tests.Runtime;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Reports;

/// <summary>
/// A scenario that passes only on a retry is reported flaky — Allure's flaky flag on the last of its results (which share
/// a historyId), Surefire's flakyFailure in JUnit, Cucumber's attempts with willBeRetried — never as a plain pass; and
/// a scenario skipped by an interrupted run says why in every report.
/// </summary>
[NonParallelizable]
public class RetryReportsTests
{
    private static readonly Dictionary<string, int> Calls = new();

    [Binding]
    public sealed class Steps(ScenarioRun info)
    {
        [When("the link drops on the first try")]
        public void Drops()
        {
            int call;
            lock (Calls) call = Calls[info.Name] = Calls.GetValueOrDefault(info.Name) + 1;
            if (call == 1) throw new InvalidOperationException("the unit lost its link");
        }

        [When("the link never comes up")]
        public void Never() => throw new InvalidOperationException("no carrier");
    }

    private static async Task<(string Results, RunResult Result)> RunAsync()
    {
        lock (Calls) Calls.Clear();
        string results = "";
        var result = await RunnerTestKit.ScheduleAsync("""
            Feature: Retried
              Scenario: flaky one
                When the link drops on the first try
              Scenario: broken one
                When the link never comes up
            """, [typeof(Steps)], new ScheduleOptions { Workers = 2 }, o => o with { Retries = 1 },
            dir =>
            {
                results = dir;
                return [new AllureResultsWriter(Path.Combine(dir, "allure-results")), new JUnitWriter(Path.Combine(dir, "junit.xml")), new CucumberMessagesWriter(dir)];
            });
        return (results, result);
    }

    [Test]
    public async Task Allure_EachAttemptIsAResult_TheFlakyPassIsMarkedFlaky()
    {
        var (results, _) = await RunAsync();
        var all = Directory.GetFiles(Path.Combine(results, "allure-results"), "*-result.json")
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement).ToList();
        var flaky = all.Where(r => r.GetProperty("name").GetString() == "flaky one").OrderBy(r => r.GetProperty("start").GetInt64()).ToList();
        Assert.That(flaky.Select(r => r.GetProperty("status").GetString()), Is.EqualTo(new[] { "failed", "passed" }));
        Assert.That(flaky.Select(r => r.GetProperty("historyId").GetString()).Distinct().Count(), Is.EqualTo(1), "Allure groups retries by historyId");
        var details = flaky[1].GetProperty("statusDetails");
        Assert.That(details.GetProperty("flaky").GetBoolean(), Is.True);
        Assert.That(details.GetProperty("message").GetString(), Does.StartWith("flaky: passed on attempt 2 after 1 failed attempt(s)").And.Contain("lost its link"));
        Assert.That(all.Count(r => r.GetProperty("name").GetString() == "broken one"), Is.EqualTo(2));
        var categories = File.ReadAllText(Path.Combine(results, "allure-results", "categories.json"));
        Assert.That(categories, Does.Contain("Flaky scenarios"));
    }

    [Test]
    public async Task JUnit_FlakyPassHasFlakyFailure_KeptFailingHasRerunFailure()
    {
        var (results, _) = await RunAsync();
        var cases = XDocument.Load(Path.Combine(results, "junit.xml")).Descendants("testcase").ToList();
        var flaky = cases.Single(c => c.Attribute("name")!.Value == "flaky one");
        Assert.That(flaky.Element("failure"), Is.Null);
        Assert.That(flaky.Element("flakyFailure")!.Attribute("message")!.Value, Does.StartWith("attempt 1:").And.Contain("lost its link"));
        Assert.That(flaky.Element("system-out")!.Value, Does.Contain("flaky: passed on attempt 2"));
        var broken = cases.Single(c => c.Attribute("name")!.Value == "broken one");
        Assert.That(broken.Element("failure"), Is.Not.Null);
        Assert.That(broken.Elements("rerunFailure").Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task Messages_AttemptsOfOneTestCase_EarlierOnesWillBeRetried()
    {
        var (results, _) = await RunAsync();
        var envelopes = File.ReadAllLines(Path.Combine(results, "cucumber-messages.ndjson")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var testCases = envelopes.Where(e => e.TryGetProperty("testCase", out _)).Select(e => e.GetProperty("testCase")).ToList();
        Assert.That(testCases, Has.Count.EqualTo(2), "one test case per pickle");
        var started = envelopes.Where(e => e.TryGetProperty("testCaseStarted", out _)).Select(e => e.GetProperty("testCaseStarted")).ToList();
        Assert.That(started.Select(s => s.GetProperty("attempt").GetInt32()), Is.EqualTo(new[] { 0, 1, 0, 1 }), "pickle order, attempts in order");
        Assert.That(started.Select(s => s.GetProperty("testCaseId").GetString()).Distinct().Count(), Is.EqualTo(2));
        var finished = envelopes.Where(e => e.TryGetProperty("testCaseFinished", out _)).Select(e => e.GetProperty("testCaseFinished").GetProperty("willBeRetried").GetBoolean());
        Assert.That(finished, Is.EqualTo(new[] { true, false, true, false }));
    }
}
