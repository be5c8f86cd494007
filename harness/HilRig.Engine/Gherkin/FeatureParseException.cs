namespace HilRig.Engine.Gherkin;

/// <summary>One problem in a feature file, located by file, line and column.</summary>
public sealed record FeatureParseError(string Uri, int Line, int Column, string Reason)
{
    public override string ToString() => Column > 0 ? $"{Uri}:{Line}:{Column}: {Reason}" : $"{Uri}:{Line}: {Reason}";
}

/// <summary>Feature files that cannot be parsed; nothing from a set with errors is run.</summary>
public sealed class FeatureParseException(IReadOnlyList<FeatureParseError> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<FeatureParseError> Errors { get; } = errors;
}
