namespace HilRig.Engine.Bindings;

/// <summary>A step pattern: a Cucumber expression or a regular expression.</summary>
public interface IStepExpression
{
    string Source { get; }

    /// <summary>The matched arguments in order, or null when the step text does not match.</summary>
    IReadOnlyList<StepArgumentMatch>? Match(string text);
}

/// <summary>One matched argument: its text, where it starts in the step text, and its parameter type if known.</summary>
public readonly record struct StepArgumentMatch(string Text, int Index, ParameterType? Type);
