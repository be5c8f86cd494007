using HilRig.Engine.Bindings;
using NUnit.Framework;
using Reqnroll;

namespace HilRig.Engine.Tests.Bindings;

/// <summary>Cucumber expressions from Cucumber.CucumberExpressions with our parameter types and conversions on top.</summary>
public class CucumberExpressionTests
{
    private static readonly ParameterTypeRegistry Registry = new();

    private static object?[]? Match(string expression, string text, ParameterTypeRegistry? registry = null) =>
        new CucumberStepExpression(expression, registry ?? Registry).Match(text)?.Select(a => a.Type!.Transform(a, null)).ToArray();

    [Test]
    public void Match_BuiltInParameterTypes_ConvertValues()
    {
        Assert.That(Match("I have {int} cukes", "I have -42 cukes"), Is.EqualTo(new object[] { -42 }));
        Assert.That(Match("{long} bytes", "8589934592 bytes"), Is.EqualTo(new object[] { 8589934592L }));
        Assert.That(Match("{float} V", "3.3 V"), Is.EqualTo(new object[] { 3.3f }));
        Assert.That(Match("{double} s", "-.5 s"), Is.EqualTo(new object[] { -0.5d }));
        Assert.That(Match("{decimal} EUR", "19.99 EUR"), Is.EqualTo(new object[] { 19.99m }));
        Assert.That(Match("board {word} boots", "board dut-1 boots"), Is.EqualTo(new object[] { "dut-1" }));
        Assert.That(Match("the console shows {string}", "the console shows \"login: \""), Is.EqualTo(new object[] { "login: " }));
        Assert.That(Match("say {string}", @"say 'it\'s'"), Is.EqualTo(new object[] { "it's" }));
        Assert.That(Match("say {string}", @"say ""a \""quoted\"" word"""), Is.EqualTo(new object[] { "a \"quoted\" word" }));
        Assert.That(Match("anything {} here", "anything at all here"), Is.EqualTo(new object[] { "at all" }));
        Assert.That(Match("I have {int} cukes", "I have 4.5 cukes"), Is.Null);
    }

    [Test]
    public void Match_ReqnrollTypeNames_AndEnumsByShortName()
    {
        var registry = new ParameterTypeRegistry();
        registry.AddEnum(typeof(DayOfWeek));
        Assert.That(Match("at {DateTime}", "at 2026-12-03T10:00:00", registry), Is.EqualTo(new object[] { new DateTime(2026, 12, 3, 10, 0, 0) }));
        Assert.That(Match("id {Guid}", "id 8a1f7f4e-1d2b-4c3d-9e8f-0a1b2c3d4e5f", registry), Is.EqualTo(new object[] { Guid.Parse("8a1f7f4e-1d2b-4c3d-9e8f-0a1b2c3d4e5f") }));
        Assert.That(Match("on {DayOfWeek}", "on tuesday", registry), Is.EqualTo(new object[] { DayOfWeek.Tuesday }));
    }

    [Test]
    public void Match_OptionalText()
    {
        Assert.That(Match("I have {int} cucumber(s)", "I have 1 cucumber"), Is.EqualTo(new object[] { 1 }));
        Assert.That(Match("I have {int} cucumber(s)", "I have 2 cucumbers"), Is.EqualTo(new object[] { 2 }));
    }

    [Test]
    public void Match_Alternation_IsBoundedByWhitespace()
    {
        var e = "the board is powered on/off";
        Assert.That(Match(e, "the board is powered on"), Is.Empty);
        Assert.That(Match(e, "the board is powered off"), Is.Empty);
        Assert.That(Match(e, "the board is on"), Is.Null, "alternation does not reach past whitespace");
        Assert.That(Match("{int} cucumber(s)/gherkin(s)", "2 gherkins"), Is.EqualTo(new object[] { 2 }));
    }

    [Test]
    public void Match_EscapedSpecialCharacters_AreLiteral()
    {
        Assert.That(Match(@"a \(b) \{c} d\/e", "a (b) {c} d/e"), Is.Empty);
        Assert.That(Match("regex chars . * + ? [x] $ ^ | stay literal", "regex chars . * + ? [x] $ ^ | stay literal"), Is.Empty);
    }

    [Binding]
    public sealed class Pairs
    {
        [StepArgumentTransformation(@"(\d+)x(\d+)", Name = "size")]
        public static (int, int) Size(int width, int height) => (width, height);

        [Given("undefined {nope} here")]
        public void Undefined(string nope)
        {
        }
    }

    [Test]
    public void Transformation_WithGroups_IsOneParameterTypeWhoseGroupsAreTheMethodsArguments()
    {
        var registry = BindingRegistry.Build([typeof(PairsOnly)]);
        var match = registry.Match("size 3x4 then 7").Single();
        Assert.That(match.Arguments.Select(a => a.Text), Is.EqualTo(new[] { "3x4", "7" }));
        Assert.That(match.Arguments[0].Type!.Transform(match.Arguments[0], null), Is.EqualTo((3, 4)));
    }

    [Binding]
    public sealed class PairsOnly
    {
        [StepArgumentTransformation(@"(\d+)x(\d+)", Name = "size")]
        public static (int, int) Size(int width, int height) => (width, height);

        [Given("size {size} then {int}")]
        public void Step((int, int) size, int n)
        {
        }
    }

    [Test]
    public void Registry_UndefinedParameterType_NamesTheStepDefinitionAndTheKnownTypes()
    {
        var e = Assert.Throws<StepBindingException>(() => BindingRegistry.Build([typeof(Pairs)]))!;
        Assert.That(e.Message, Does.Contain("Pairs.Undefined(String): [Given(\"undefined {nope} here\")]: undefined parameter type {nope}"));
        Assert.That(e.Message, Does.Contain("{size}").And.Contain("{int}").And.Contain("column 11"));
    }

    [TestCase("unclosed (optional", "The '(' does not have a matching ')'")]
    [TestCase("a (b{int}) c", "An optional may not contain a parameter type")]
    [TestCase("a/ b", "Alternative may not be empty")]
    [TestCase("(a)/b", "An alternative may not exclusively contain optionals")]
    [TestCase("empty () optional", "An optional must contain some text")]
    [TestCase("unclosed {int", "The '{' does not have a matching '}'")]
    [TestCase(@"bad \e escape", "Only the characters '{', '}', '(', ')', '\\', '/' and whitespace can be escaped")]
    public void Compile_InvalidExpression_SaysWhereAndWhy(string expression, string reason)
    {
        var e = Assert.Throws<CucumberExpressions.CucumberExpressionException>(() => _ = new CucumberStepExpression(expression, Registry))!;
        Assert.That(e.Message, Does.Contain(reason).And.Contain("problem at column"));
    }

    [Test]
    public void Regex_StepExpression_CapturesGroups()
    {
        var regex = new RegexStepExpression(@"^I wait (\d+) (seconds|minutes)$");
        Assert.That(regex.Match("I wait 5 minutes")!.Select(a => a.Text), Is.EqualTo(new[] { "5", "minutes" }));
        Assert.That(regex.GroupCount, Is.EqualTo(2));
        Assert.Throws<StepBindingException>(() => _ = new RegexStepExpression("^(unclosed$"));
    }
}
