using FsCheck;
using FsCheck.Fluent;
using HilRig.Engine.Tags;
using NUnit.Framework;

namespace HilRig.Engine.Tests.Tags;

public class TagExpressionTests
{
    [TestCase("@a", "@a", true)]
    [TestCase("@a", "@b", false)]
    [TestCase("not @a", "@b", true)]
    [TestCase("@a and @b", "@a @b", true)]
    [TestCase("@a and @b", "@a", false)]
    [TestCase("@a or @b", "@b", true)]
    [TestCase("@a and not (@b or @c)", "@a", true)]
    [TestCase("@a and not (@b or @c)", "@a @c", false)]
    [TestCase("@a or @b and @c", "@a", true)]
    [TestCase("@a or @b and @c", "@b", false)]
    [TestCase("not @a and @b", "@b", true)]
    [TestCase("not not @a", "@a", true)]
    [TestCase("((@a))", "@a", true)]
    [TestCase(@"@with\ space", "@with space", true)]
    [TestCase(@"@paren\(1\)", "@paren(1)", true)]
    [TestCase("", "", true)]
    public void Evaluate_FollowsCucumberPrecedence(string expression, string tags, bool expected)
    {
        var set = tags.Length == 0 ? [] : ParseTags(tags);
        Assert.That(TagExpression.Parse(expression).Evaluate(set), Is.EqualTo(expected));
    }

    private static HashSet<string> ParseTags(string tags) =>
        tags.Replace("@with space", "@with\u0001space").Split(' ').Select(t => t.Replace('\u0001', ' ')).ToHashSet();

    [TestCase("@a and", 7, "ended")]
    [TestCase("@a @b", 4, "expected 'and', 'or' or ')'")]
    [TestCase("(@a or @b", 10, "never closed")]
    [TestCase("@a)", 3, "unmatched ')'")]
    [TestCase("a and @b", 1, "tags start with '@'")]
    [TestCase("@a and or @b", 8, "found 'or'")]
    [TestCase(@"@a\x", 3, "not a valid escape")]
    [TestCase("not", 4, "ended")]
    public void Parse_InvalidExpression_NamesThePosition(string expression, int position, string reason)
    {
        var e = Assert.Throws<TagExpressionException>(() => TagExpression.Parse(expression))!;
        Assert.That(e.Position, Is.EqualTo(position), e.Message);
        Assert.That(e.Message, Does.Contain(reason).And.Contain($"position {position}"));
    }

    [Test]
    public void Property_DeMorgan_HoldsForRandomTagSets()
    {
        // 500 random tag sets drawn from @a..@d: not (@a or @b) == not @a and not @b, and the expression round-trips through ToString.
        var left = TagExpression.Parse("not (@a or @b) and (@c or not @d)");
        var right = TagExpression.Parse("not @a and not @b and (@c or not @d)");
        var reparsed = TagExpression.Parse(left.ToString()!);
        var tags = Gen.SubListOf(new[] { "@a", "@b", "@c", "@d" }).ToArbitrary();
        Prop.ForAll(tags, set =>
        {
            var s = set.ToHashSet();
            return left.Evaluate(s) == right.Evaluate(s) && left.Evaluate(s) == reparsed.Evaluate(s);
        }).QuickCheckThrowOnFailure();
    }
}
