namespace HilRig.Engine.Tags;

/// <summary>A tag expression that does not parse; <see cref="Position"/> is the 1-based column of the fault.</summary>
public sealed class TagExpressionException(string expression, int position, string reason)
    : Exception($"invalid tag expression \"{expression}\" at position {position}: {reason}\n  {expression}\n  {new string(' ', Math.Max(0, position - 1))}^")
{
    public string Expression { get; } = expression;
    public int Position { get; } = position;
    public string Reason { get; } = reason;
}
