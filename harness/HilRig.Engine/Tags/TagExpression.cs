namespace HilRig.Engine.Tags;

/// <summary>
/// A Cucumber tag expression (<c>@a and not (@b or @c)</c>): <c>not</c> binds tighter than <c>and</c>,
/// which binds tighter than <c>or</c>; both binary operators are left-associative.
/// </summary>
public abstract class TagExpression
{
    /// <summary>The expression that matches every scenario, used when no expression is given.</summary>
    public static TagExpression Always { get; } = new TrueExpression();

    public static TagExpression Parse(string text) => TagExpressionParser.Parse(text);

    public abstract bool Evaluate(IReadOnlyCollection<string> tags);

    private sealed class TrueExpression : TagExpression
    {
        public override bool Evaluate(IReadOnlyCollection<string> tags) => true;
        public override string ToString() => "true";
    }

    internal sealed class Literal(string tag) : TagExpression
    {
        public override bool Evaluate(IReadOnlyCollection<string> tags) => tags.Contains(tag);
        public override string ToString() => tag.Replace("(", "\\(").Replace(")", "\\)").Replace(" ", "\\ ");
    }

    internal sealed class Not(TagExpression operand) : TagExpression
    {
        public override bool Evaluate(IReadOnlyCollection<string> tags) => !operand.Evaluate(tags);
        public override string ToString() => $"not ( {operand} )";
    }

    internal sealed class And(TagExpression left, TagExpression right) : TagExpression
    {
        public override bool Evaluate(IReadOnlyCollection<string> tags) => left.Evaluate(tags) && right.Evaluate(tags);
        public override string ToString() => $"( {left} and {right} )";
    }

    internal sealed class Or(TagExpression left, TagExpression right) : TagExpression
    {
        public override bool Evaluate(IReadOnlyCollection<string> tags) => left.Evaluate(tags) || right.Evaluate(tags);
        public override string ToString() => $"( {left} or {right} )";
    }
}
