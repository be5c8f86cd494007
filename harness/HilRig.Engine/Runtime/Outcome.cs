namespace HilRig.Engine.Runtime;

/// <summary>
/// How a step or scenario ended. <see cref="Broken"/> is a rig or infrastructure fault (the harness could not
/// do its job), kept apart from <see cref="Failed"/> (the product did not behave) in reports and exit codes;
/// <see cref="TestDefect"/> is a fault of the scenario or its bindings (an argument that does not convert, a board the
/// rig does not have), which says nothing about the product either. Declared from best to worst: a scenario's outcome
/// is its worst step's.
/// </summary>
public enum Outcome
{
    Passed,
    Skipped,
    Pending,
    Undefined,
    Ambiguous,
    TestDefect,
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
        Outcome.TestDefect => "E",
        Outcome.Failed => "✘",
        Outcome.Broken => "!",
        _ => " ",
    };

    public static string Word(this Outcome outcome) => outcome == Outcome.TestDefect ? "test defect" : outcome.ToString().ToLowerInvariant();

    /// <summary>Outcomes that make a run fail (exit 1, or 3 for a rig fault); passed and skipped do not.</summary>
    public static bool FailsTheRun(this Outcome outcome) => outcome is not (Outcome.Passed or Outcome.Skipped);
}
