namespace HilRig.Engine.Bindings;

/// <summary>A Cucumber expression that does not compile; <see cref="Position"/> is 1-based.</summary>
public sealed class CucumberExpressionException(string expression, int position, string reason)
    : Exception($"invalid Cucumber expression \"{expression}\" at position {position}: {reason}")
{
    public string Expression { get; } = expression;
    public int Position { get; } = position;
    public string Reason { get; } = reason;
}
