using System.Text.Json;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>The JSON contracts of <c>hilrig list</c> and <c>hilrig steps</c>, and the other read-only commands.</summary>
public class ListAndStepsTests
{
    [Test]
    public async Task ListJson_PrintsPicklesAsTheContractSays()
    {
        var r = await Hilrig.RunAsync("list", "fixtures/features/good", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var items = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToList();
        Assert.That(items, Has.Count.EqualTo(3));
        foreach (var item in items)
            Assert.That(item.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "name", "feature", "uri", "line", "tags", "steps", "id", "examples" }));
        var plain = items[0];
        Assert.That(plain.GetProperty("name").GetString(), Is.EqualTo("plain scenario"));
        Assert.That(plain.GetProperty("feature").GetString(), Is.EqualTo("Listing fixture"));
        Assert.That(plain.GetProperty("uri").GetString(), Is.EqualTo("fixtures/features/good/listing.feature"), "uri is the path as given");
        Assert.That(plain.GetProperty("line").GetInt32(), Is.EqualTo(7));
        Assert.That(plain.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "@listing", "@one" }));
        Assert.That(plain.GetProperty("steps").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[]
        {
            "Given board \"dut\" is running", "When I run \"version\" on board \"dut\"", "Then the command succeeds",
        }));
        Assert.That(plain.GetProperty("examples").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(items.Select(i => i.GetProperty("id").GetString()), Is.Unique.And.All.Match("^[0-9a-f-]{36}$"));
        var row = items[2];
        Assert.That(row.GetProperty("name").GetString(), Is.EqualTo("outline beta"), "Cucumber's pickle name; the row marker is for display");
        Assert.That(row.GetProperty("examples").GetProperty("name").GetString(), Is.EqualTo("first"));
        Assert.That(row.GetProperty("examples").GetProperty("index").GetInt32(), Is.EqualTo(2));
        Assert.That(row.GetProperty("line").GetInt32(), Is.EqualTo(19), "an outline row's line is the row");
        Assert.That(row.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "@listing", "@fast" }));
    }

    [Test]
    public async Task List_LineAndTagSelection()
    {
        var byLine = await Hilrig.RunAsync("list", "fixtures/features/good/listing.feature:19", "--json");
        Assert.That(JsonDocument.Parse(byLine.Stdout).RootElement.GetArrayLength(), Is.EqualTo(1));
        var byTag = await Hilrig.RunAsync("list", "fixtures/features/good", "--tags", "@fast and not @one", "--json");
        Assert.That(JsonDocument.Parse(byTag.Stdout).RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()),
            Is.EqualTo(new[] { "outline alpha", "outline beta" }));
        var again = await Hilrig.RunAsync("list", "fixtures/features/good/listing.feature:19", "--json");
        Assert.That(JsonDocument.Parse(again.Stdout).RootElement[0].GetProperty("id").GetString(),
            Is.EqualTo(JsonDocument.Parse(byLine.Stdout).RootElement[0].GetProperty("id").GetString()), "pickle ids are the same in every process");
    }

    [Test]
    public async Task ListJson_PrintsNonAsciiAsUtf8()
    {
        var r = await Hilrig.RunAsync("list", "fixtures/features/i18n", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("\"name\": \"发现 手表\"").And.Contain("\"feature\": \"设备发现\"").And.Not.Contain("\\u"));
        var item = JsonDocument.Parse(r.Stdout).RootElement[0];
        Assert.That(item.GetProperty("examples").GetProperty("name").GetString(), Is.EqualTo("设备"));
    }

    [Test]
    public async Task StepsJson_ListsBindingsWithParameterTypesAndSummaries()
    {
        var r = await Hilrig.RunAsync("steps", "--json");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        var steps = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToList();
        var running = steps.Single(s => s.GetProperty("expression").GetString() == "board {board} is running");
        Assert.That(running.GetProperty("keyword").GetString(), Is.EqualTo("Given"));
        Assert.That(running.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { "board" }));
        Assert.That(running.GetProperty("summary").GetString(), Does.Contain("waits until its shell answers"));
        var table = steps.Single(s => s.GetProperty("expression").GetString() == "the status of board {board} shows:");
        Assert.That(table.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { "board", "DataTable" }));
    }

    [Test]
    public async Task RigCheck_DefaultRig_ProbesAndPasses()
    {
        var r = await Hilrig.RunAsync("rig", "check");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Stdout, Does.Contain("valid").And.Contain("ok   board dut: device build").And.Contain("rig ready"));
    }

    [Test]
    public async Task RigCheck_ProbeFails_Exit3()
    {
        var dir = HilRig.Testing.RepoPaths.NewTempDirectory("rigcheck");
        var rig = Path.Combine(dir, "rig.yaml");
        File.WriteAllText(rig, "boards:\n  bench:\n    kind: physical\n    drivers:\n      serial: {port: /dev/ttyUSB97}\n      external_power: {on: 'no-such-pdu-tool on', off: 'true'}\n");
        var r = await Hilrig.RunAsync("rig", "check", "--rig", rig);
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        Assert.That(r.Stdout, Does.Contain("FAIL board bench: serial port").And.Contain("/dev/ttyUSB97"));
        Assert.That(r.Stdout, Does.Contain("FAIL board bench: power on command — 'no-such-pdu-tool'"));
    }

    [Test]
    public async Task Report_WithoutAllureAndWithoutCucumberReport_SaysHowToInstallIt()
    {
        var results = Hilrig.Results("report");
        Directory.CreateDirectory(Path.Combine(results, "allure-results"));
        var r = await Hilrig.RunAsync(new Dictionary<string, string?> { ["HILRIG_ALLURE"] = "/nonexistent/allure" }, "report", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(3), r.ToString());
        Assert.That(r.Stderr, Does.Contain("npm install").And.Contain("allure-commandline").And.Contain("Java"));
    }

    [Test]
    public async Task Report_NoResults_Exit2()
    {
        var r = await Hilrig.RunAsync("report", "--results", Hilrig.Results("empty"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("no results in").And.Contain("./hilrig run"));
    }
}

/// <summary>Our Allure results read by the real Allure (allure-commandline from npm), not just checked for shape.</summary>
[NonParallelizable]
public class AllureReportTests
{
    [Test]
    public async Task Report_RealAllureReadsOurResults_CountsAndCategoriesMatch()
    {
        var allure = Path.Combine(HilRig.Testing.RepoPaths.Root, "tools", "allure", "node_modules", ".bin", "allure");
        HilRig.Testing.RequiredTool.RequireFile(allure, "scripts/ensure-tools test runs npm ci in tools/allure");
        HilRig.Testing.RequiredTool.Require("java", "allure-commandline runs on Java");
        var results = Hilrig.Results("allure");
        var run = await Hilrig.RunAsync("run", "fixtures/features/failing/mixed.feature", "--seed", "3", "--results", results);
        Assert.That(run.ExitCode, Is.EqualTo(1), run.ToString());
        var report = await Hilrig.RunAsync("report", "--results", results);
        Assert.That(report.ExitCode, Is.EqualTo(0), report.ToString());
        var html = Path.Combine(results, "allure-report");
        Assert.That(File.Exists(Path.Combine(html, "index.html")));
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(html, "widgets", "summary.json"))).RootElement.GetProperty("statistic");
        Assert.That((summary.GetProperty("passed").GetInt32(), summary.GetProperty("failed").GetInt32(), summary.GetProperty("broken").GetInt32()),
            Is.EqualTo((1, 1, 1)));
        var categories = JsonDocument.Parse(File.ReadAllText(Path.Combine(html, "widgets", "categories.json"))).RootElement.GetProperty("items")
            .EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.That(categories, Does.Contain("Product failures").And.Contain("Undefined or ambiguous steps"));
    }
}
