using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary>Every bad input of the foundation issue: exit 2, what and where, nothing run.</summary>
public class BadInputTests
{
    [Test]
    public async Task Run_MalformedFeatures_Exit2WithFileLineReason_NothingRuns()
    {
        var results = Hilrig.Results("bad-features");
        var r = await Hilrig.RunAsync("run", "fixtures/features/bad", "fixtures/features/good", "--results", results);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("fixtures/features/bad/ragged.feature:5:").And.Contain("inconsistent cell count"));
        Assert.That(r.Stderr, Does.Contain("fixtures/features/bad/unknown-keyword.feature:4:").And.Contain("got 'Whenn I run"));
        Assert.That(r.Stderr, Does.Contain("fixtures/features/bad/duplicate-column.feature:5:").And.Contain("<n> twice"));
        Assert.That(r.Stderr, Does.Contain("nothing was run"));
        Assert.That(Directory.Exists(results), Is.False, "no results are written when the features do not parse");
    }

    [Test]
    public async Task Run_InvalidTagExpression_Exit2NamingThePosition()
    {
        var r = await Hilrig.RunAsync("run", "fixtures/features/good", "--tags", "@smoke and (not @slow", "--results", Hilrig.Results("tags"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("--tags: invalid tag expression").And.Contain("at position 22").And.Contain("at position 12 is never closed"));
    }

    [TestCase("unknown-key.yaml", "fixtures/rigs/unknown-key.yaml:7:9: boards.dut.drivers.process.firmwre: unknown option 'firmwre' (did you mean 'firmware'?)")]
    [TestCase("wrong-type.yaml", "fixtures/rigs/wrong-type.yaml:6:23: boards.dut.drivers.process.boot_timeout: expected a duration")]
    [TestCase("missing-option.yaml", "fixtures/rigs/missing-option.yaml:5:15: boards.bench.drivers.serial: missing 'port' (a tty path) or 'match' (udev properties such as ID_SERIAL_SHORT)")]
    public async Task Run_BadRigFile_Exit2WithFileLineColumnAndKey(string rig, string expected)
    {
        var r = await Hilrig.RunAsync("run", "fixtures/features/good", "--rig", $"fixtures/rigs/{rig}", "--results", Hilrig.Results("rig"));
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain(expected));
    }

    [Test]
    public async Task RigCheck_BadRigFile_Exit2()
    {
        var r = await Hilrig.RunAsync("rig", "check", "--rig", "fixtures/rigs/unknown-key.yaml");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("unknown-key.yaml:7:9"));
    }

    [Test]
    public async Task UnknownOption_IsAUsageError()
    {
        var r = await Hilrig.RunAsync("run", "--no-such-option");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("--no-such-option"));
    }

    [Test]
    public async Task List_MissingFeatureFile_Exit2()
    {
        var r = await Hilrig.RunAsync("list", "fixtures/features/nope.feature");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Stderr, Does.Contain("fixtures/features/nope.feature").And.Contain("no such feature file"));
    }
}
