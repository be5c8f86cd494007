using HilRig.Engine.Gherkin;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Gherkin;

public class FeatureParserTests
{
    [Test]
    public void Parse_UnknownKeyword_ErrorNamesFileLineAndWhatWasExpected()
    {
        var e = Assert.Throws<FeatureParseException>(() => FeatureParser.ParseText("Feature: F\n  Scenario: S\n    Given x\n    Whenn y\n", "bad.feature"))!;
        var error = e.Errors.Single();
        Assert.That(error.Uri, Is.EqualTo("bad.feature"));
        Assert.That(error.Line, Is.EqualTo(4));
        Assert.That(error.ToString(), Does.StartWith("bad.feature:4:").And.Contain("got 'Whenn y'"));
    }

    [Test]
    public void Parse_RaggedTable_ErrorNamesTheRow()
    {
        var e = Assert.Throws<FeatureParseException>(() => FeatureParser.ParseText(
            "Feature: F\n  Scenario: S\n    Given t\n      | a | b |\n      | 1 |\n", "ragged.feature"))!;
        Assert.That(e.Errors.Single().Line, Is.EqualTo(5));
        Assert.That(e.Errors.Single().Reason, Does.Contain("inconsistent cell count"));
    }

    [Test]
    public void Compile_ExamplesWithADuplicateColumn_IsAnErrorAtTheSecondHeaderCell()
    {
        var document = FeatureParser.ParseText("Feature: F\n  Scenario Outline: o <n>\n    Given x <n>\n    Examples:\n      | n | n |\n      | 1 | 2 |\n", "dup.feature");
        var e = Assert.Throws<FeatureParseException>(() => FeaturePickles.Compile(document))!;
        Assert.That(e.Errors.Single().ToString(), Does.StartWith("dup.feature:5:13:").And.Contain("<n> twice"));
    }

    [Test]
    public void Parse_UnknownLanguage_IsAnErrorOnLineOne()
    {
        var e = Assert.Throws<FeatureParseException>(() => FeatureParser.ParseText("# language: xx-nope\nFeature: F\n", "lang.feature"))!;
        Assert.That(e.Errors.Single().Line, Is.EqualTo(1));
        Assert.That(e.Errors.Single().Reason, Does.Contain("xx-nope"));
    }

    [Test]
    public void Parse_SeveralErrors_AreAllReported()
    {
        var e = Assert.Throws<FeatureParseException>(() => FeatureParser.ParseText(
            "Feature: F\n  Scenario: S\n    Given x\n    oops\n  Scenario: T\n    Given y\n    again oops\n", "many.feature"))!;
        Assert.That(e.Errors.Select(x => x.Line), Is.EquivalentTo(new[] { 4, 7 }));
    }

    [Test]
    public void Load_OneBadFileAmongGood_FailsTheWholeLoad()
    {
        var dir = RepoPaths.NewTempDirectory("load");
        File.WriteAllText(Path.Combine(dir, "a.feature"), "Feature: A\n  Scenario: ok\n    Given x\n");
        File.WriteAllText(Path.Combine(dir, "b.feature"), "Feature: B\n  Scenario: broken\n    Given x\n    nonsense here\n");
        var e = Assert.Throws<FeatureParseException>(() => FeatureSet.Load([dir]))!;
        Assert.That(e.Errors.Single().Uri, Does.EndWith("b.feature"));
        Assert.That(e.Errors.Single().Line, Is.EqualTo(4));
    }

    [Test]
    public void Load_LineSelection_PicksScenarioExamplesTableRowAndRule()
    {
        var dir = RepoPaths.NewTempDirectory("lines");
        var path = Path.Combine(dir, "x.feature");
        File.WriteAllText(path, """
            Feature: X
              Scenario: one
                Given a
              Scenario Outline: two <n>
                Given b <n>
                Examples: first
                  | n |
                  | 1 |
                  | 2 |
                Examples: second
                  | n |
                  | 3 |
              Rule: R
                Scenario: three
                  Given c
            """);
        string[] Names(string arg) => FeatureSet.Load([arg]).Pickles.Select(p => p.Name).ToArray();
        Assert.That(Names(path + ":2"), Is.EqualTo(new[] { "one" }));
        Assert.That(Names(path + ":4"), Is.EqualTo(new[] { "two 1", "two 2", "two 3" }));
        Assert.That(Names(path + ":6"), Is.EqualTo(new[] { "two 1", "two 2" }));
        Assert.That(Names(path + ":9"), Is.EqualTo(new[] { "two 2" }));
        Assert.That(Names(path + ":13"), Is.EqualTo(new[] { "three" }));
        Assert.That(Names(path + ":2:12"), Is.EqualTo(new[] { "one", "two 3" }));
        var e = Assert.Throws<FeatureParseException>(() => FeatureSet.Load([path + ":3"]))!;
        Assert.That(e.Errors.Single().ToString(), Does.Contain(":3").And.Contain("no scenario"));
    }

    [Test]
    public void Load_MissingPath_IsAnError()
    {
        var e = Assert.Throws<FeatureParseException>(() => FeatureSet.Load(["/nonexistent/dir/x.feature"]))!;
        Assert.That(e.Errors.Single().Reason, Does.Contain("no such feature file"));
    }

    [Test]
    public void Selection_ParsesTrailingLineNumbersOnly()
    {
        Assert.That(FeatureSelection.Parse("a/b.feature:12:30"), Is.EqualTo(new FeatureSelection("a/b.feature", [12, 30])).Using<FeatureSelection>((x, y) =>
            x.Path == y.Path && x.Lines.SequenceEqual(y.Lines)));
        Assert.That(FeatureSelection.Parse("a/b.feature").Lines, Is.Empty);
    }
}
