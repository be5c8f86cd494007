namespace HilRig.Engine.Gherkin;

/// <summary>What kind of step a keyword denotes; <c>And</c>/<c>But</c> take the kind of the step before.</summary>
public enum StepKind
{
    Context,
    Action,
    Outcome,
    Unknown,
}

/// <summary>A step ready to bind: placeholders substituted, keyword kind resolved.</summary>
public sealed record PickleStep(
    string Keyword,
    StepKind Kind,
    string Text,
    int Line,
    StepArgument? Argument,
    bool FromBackground)
{
    /// <summary>The pickle step id of Cucumber Messages.</summary>
    public string Id { get; init; } = "";

    public override string ToString() => $"{Keyword.Trim()} {Text}";
}

/// <summary>A data table or a doc string attached to a step.</summary>
public abstract record StepArgument(int Line);
