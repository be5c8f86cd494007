namespace HilRig.Simulators.Faults;

/// <summary>Where something is written in a plan's source: file:line:column (line 0: only a name, such as a step's location).</summary>
public readonly record struct PlanPosition(string File, int Line, int Column)
{
    public override string ToString() => Line > 0 ? $"{File}:{Line}:{Column}" : File;
}

/// <summary>One problem of a fault plan: where, the key it concerns (a key path, or the verb of a step), and what is wrong.</summary>
public sealed record FaultPlanError(string File, int Line, int Column, string? Key, string Message)
{
    public FaultPlanError(PlanPosition at, string? key, string message) : this(at.File, at.Line, at.Column, key, message)
    {
    }

    /// <summary>"plan.yaml:12:7", or the file (or other source name) alone when the line is not known.</summary>
    public string Location => new PlanPosition(File, Line, Column).ToString();

    /// <summary>"partition.pick: 3 is more than the 2 hosts listed": the key and the message.</summary>
    public string Reason => Key is null ? Message : $"{Key}: {Message}";

    public override string ToString() => $"{Location}: {Reason}";
}

/// <summary>
/// A fault plan that cannot be used, with where: "plan.yaml:12:7: partition.pick: 3 is more than the 2 hosts listed". Every
/// problem found is in <see cref="Errors"/>, each with its own file, line, column and key; the message lists them one a line.
/// </summary>
public sealed class FaultPlanException : Exception
{
    public FaultPlanException(FaultPlanError error, Exception? inner = null)
        : this([error], inner)
    {
    }

    public FaultPlanException(IReadOnlyList<FaultPlanError> errors, Exception? inner = null)
        : base(string.Join("\n", errors), inner)
    {
        if (errors.Count == 0) throw new ArgumentException("a fault plan error needs at least one problem", nameof(errors));
        Errors = errors;
    }

    public IReadOnlyList<FaultPlanError> Errors { get; }

    /// <summary>The first problem's file (or source name).</summary>
    public string File => Errors[0].File;

    public int Line => Errors[0].Line;

    public int Column => Errors[0].Column;

    public string? Key => Errors[0].Key;

    /// <summary>The first problem's location, "plan.yaml:12:7".</summary>
    public string Location => Errors[0].Location;

    /// <summary>The first problem's key and message.</summary>
    public string Reason => Errors[0].Reason;
}
