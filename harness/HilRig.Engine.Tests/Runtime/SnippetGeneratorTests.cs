using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Runtime;

/// <summary>Snippets from Cucumber.CucumberExpressions' generator, with custom types where the step names them.</summary>
public class SnippetGeneratorTests
{
    public sealed record Unit(string Name);

    [Binding]
    public sealed class UnitTypes
    {
        [StepArgumentTransformation("\"([A-Za-z0-9_-]+)\"", Name = "unit")]
        public static Unit ToUnit(string name) => new(name);

        [StepArgumentTransformation("unit \"([A-Za-z0-9_-]+)\"|the fleet", Name = "target")]
        [UseForSnippets(false)]
        public static string ToTarget(string unit) => unit;
    }

    private static string Snippet(string text, StepKind kind = StepKind.Outcome, StepArgument? argument = null) =>
        SnippetGenerator.For(new PickleStep("Then ", kind, text, 3, argument, false), BindingRegistry.Build([typeof(UnitTypes)]).ParameterTypes);

    [Test]
    public void CustomType_IsUsedWhereTheStepNamesIt_StringElsewhere()
    {
        Assert.That(Snippet("the uptime of unit \"dut\" is below 60 seconds"), Does.Contain("""
            [Then("the uptime of unit {unit} is below {int} seconds")]
            public void ThenTheUptimeOfUnitIsBelowSeconds(Unit unit, int p1)
            """));
        Assert.That(Snippet("I run \"uptime\" on unit \"dut\"", StepKind.Action), Does.Contain("""
            [When("I run {string} on unit {unit}")]
            public void WhenIRunOnUnit(string p0, Unit unit)
            """));
    }

    [Test]
    public void NumbersAndSpecialCharacters_AreParametersAndEscapes()
    {
        var snippet = Snippet("I flash \"fw.bin\" (signed) at 1.5 volts/phase", StepKind.Context, new StepTable(4, [["a"], ["1"]]));
        Assert.That(snippet, Does.Contain("""[Given("I flash {string} \\(signed) at {double} volts\\/phase")]"""));
        Assert.That(snippet, Does.Contain("(string p0, double p1, DataTable dataTable)"));
        Assert.That(snippet, Does.Contain("throw new PendingStepException();"));
    }
}
