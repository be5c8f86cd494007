using System.Text.Json.Nodes;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary><c>hilrig fleet</c> through the real CLI: the JSON a CI job reads, what the cloud recorded, and its bad inputs.</summary>
public class FleetCliTests
{
    [Test]
    public async Task Fleet_Json_EveryUnitUpdated_AndTheCloudRecordedEachOfThem()
    {
        var dir = Path.Combine(RepoPaths.NewTempDirectory("fleet"), "units");
        var r = await Hilrig.RunAsync("fleet", "--units", "12", "--json", "--dir", dir);
        Assert.That(r.ExitCode, Is.Zero, r.ToString());
        var json = JsonNode.Parse(r.Stdout.Trim().Split('\n')[^1])!;
        Assert.That(json["units"]!.GetValue<int>(), Is.EqualTo(12));
        Assert.That(json["updated"]!.GetValue<int>(), Is.EqualTo(12));
        Assert.That(json["failed"]!.GetValue<int>(), Is.Zero);
        Assert.That(json["cloud_units"]!.GetValue<int>(), Is.EqualTo(12), "the cloud's own count, not the CMs' word");
        Assert.That(json["cloud_on_target_percent"]!.GetValue<double>(), Is.EqualTo(100));
        Assert.That(json["seconds"]!.GetValue<double>(), Is.GreaterThan(0));
        Assert.That(json["checkins_per_s"]!.GetValue<double>(), Is.GreaterThan(0));
        Assert.That(Directory.GetDirectories(dir, "unit-*"), Has.Length.EqualTo(12), "--dir keeps each unit's state for a look afterwards");
    }

    [TestCase("--units", "0", "--units: 0 is not a positive number of units")]
    [TestCase("--units", "-3", "--units: -3 is not a positive number of units")]
    [TestCase("--component-size", "0", "--component-size: 0 is not a positive number of bytes")]
    public async Task Fleet_BadNumbers_Exit2WithTheOption(string option, string value, string message)
    {
        var r = await Hilrig.RunAsync("fleet", option, value);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr + r.Stdout, Does.Contain(message));
    }

    [Test]
    public async Task Fleet_DirThatIsNotEmpty_Exit2_AndLeavesItAlone()
    {
        var dir = RepoPaths.NewTempDirectory("fleet-used");
        var mine = Path.Combine(dir, "notes.txt");
        File.WriteAllText(mine, "keep");
        var r = await Hilrig.RunAsync("fleet", "--units", "2", "--dir", dir);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr + r.Stdout, Does.Contain($"--dir: {dir} is not empty"));
        Assert.That(File.ReadAllText(mine), Is.EqualTo("keep"));
    }
}
