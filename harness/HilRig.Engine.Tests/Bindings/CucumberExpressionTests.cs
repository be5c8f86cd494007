using HilRig.Engine.Bindings;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Bindings;

public class CucumberExpressionTests
{
    private static readonly ParameterTypeRegistry Registry = new();

    private static object?[]? Match(string expression, string text) =>
        new CucumberExpression(expression, Registry).Match(text)?.Select(a => a.Type!.Transform(a.Text, null)).ToArray();

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
        Assert.That(Match(@"a \(b\) \{c\} d\/e", "a (b) {c} d/e"), Is.Empty);
        Assert.That(Match("regex chars . * + ? [x] $ ^ | stay literal", "regex chars . * + ? [x] $ ^ | stay literal"), Is.Empty);
    }

    [Test]
    public void Match_ParameterWithGroupsInItsRegex_StillOneArgument()
    {
        var registry = new ParameterTypeRegistry();
        registry.Add(new ParameterType("pair", [@"(\d+)x(\d+)"], typeof(string), (s, _) => s));
        var args = new CucumberExpression("size {pair} then {int}", registry).Match("size 3x4 then 7")!;
        Assert.That(args.Select(a => a.Text), Is.EqualTo(new[] { "3x4", "7" }));
    }

    [TestCase("{nope} here", 1, "undefined parameter type {nope}")]
    [TestCase("unclosed (optional", 10, "never closed")]
    [TestCase("bad ) paren", 5, "no matching '('")]
    [TestCase("a (b{int}) c", 5, "may not contain a parameter")]
    [TestCase("a/ b", 2, "alternative may not be empty")]
    [TestCase("(a)/b", 4, "optional text only")]
    [TestCase("empty () optional", 7, "may not be empty")]
    [TestCase("unclosed {int", 10, "never closed")]
    [TestCase(@"bad \e escape", 5, "not a valid escape")]
    public void Compile_InvalidExpression_NamesPositionAndReason(string expression, int position, string reason)
    {
        var e = Assert.Throws<CucumberExpressionException>(() => _ = new CucumberExpression(expression, Registry))!;
        Assert.That(e.Message, Does.Contain(reason));
        Assert.That(e.Position, Is.EqualTo(position), e.Message);
    }

    [Test]
    public void Regex_StepExpression_CapturesGroups()
    {
        var regex = new RegexStepExpression(@"^I wait (\d+) (seconds|minutes)$");
        Assert.That(regex.Match("I wait 5 minutes")!.Select(a => a.Text), Is.EqualTo(new[] { "5", "minutes" }));
        Assert.That(regex.GroupCount, Is.EqualTo(2));
        Assert.That(RegexStepExpression.LooksLikeRegex("^x"), Is.True);
        Assert.That(RegexStepExpression.LooksLikeRegex("x {int}"), Is.False);
        Assert.Throws<CucumberExpressionException>(() => _ = new RegexStepExpression("^(unclosed$"));
    }
}
