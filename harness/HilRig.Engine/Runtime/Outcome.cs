namespace HilRig.Engine.Runtime;

/// <summary>
/// How a step or scenario ended. <see cref="Broken"/> is a rig or infrastructure fault (the harness could not
/// do its job), kept apart from <see cref="Failed"/> (the product did not behave) in reports and exit codes.
/// Declared from best to worst: a scenario's outcome is its worst step's.
/// </summary>
public enum Outcome
{
    Passed,
    Skipped,
    Pending,
    Undefined,
    Ambiguous,
    Failed,
    Broken,
}

public static class OutcomeExtensions
{
    public static Outcome Worst(this IEnumerable<Outcome> outcomes, Outcome seed = Outcome.Passed) =>
        outcomes.Aggregate(seed, (a, b) => (Outcome)Math.Max((int)a, (int)b));

    public static string Symbol(this Outcome outcome) => outcome switch
    {
        Outcome.Passed => "✔",
        Outcome.Skipped => "-",
        Outcome.Pending => "P",
        Outcome.Undefined => "?",
        Outcome.Ambiguous => "A",
        Outcome.Failed => "✘",
        Outcome.Broken => "!",
        _ => " ",
    };

    public static string Word(this Outcome outcome) => outcome.ToString().ToLowerInvariant();
}
