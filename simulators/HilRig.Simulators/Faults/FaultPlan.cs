using HilRig.Simulators.SimNet;

namespace HilRig.Simulators.Faults;

/// <summary>
/// A named, seeded schedule of faults over time. The same plan and seed always expand to the same
/// <see cref="FaultTimeline"/>, which is how a customer's network and power history is replayed.
/// </summary>
public sealed record FaultPlan(string Name, ulong? Seed, IReadOnlyList<FaultStep> Steps, string Source = "plan");

/// <summary>
/// One step: its action happens at <see cref="At"/> (plus a random 0..<see cref="Jitter"/>), and again every
/// <see cref="Every"/> until <see cref="Until"/>; with <see cref="For"/>, it is undone (heal, clear) that long after.
/// </summary>
public sealed record FaultStep(TimeSpan At, FaultAction Action, string Location)
{
    /// <summary>Where the step is written, when it comes from a plan's YAML (a step applied by a scenario step has only its <see cref="Location"/>).</summary>
    public PlanPosition? Position { get; init; }

    public TimeSpan Jitter { get; init; }
    public TimeSpan? Every { get; init; }
    public TimeSpan? Until { get; init; }
    public TimeSpan? For { get; init; }
}

/// <summary>Which hosts a step acts on: a fixed list, or <see cref="Pick"/> of <see cref="Hosts"/> chosen by the plan's generator (Jepsen's "one", "minority").</summary>
public sealed record HostSelection(IReadOnlyList<string> Hosts, int? Pick = null)
{
    public override string ToString() => Pick is { } n ? $"{n} of [{string.Join(",", Hosts)}]" : string.Join(",", Hosts);
}

public abstract record FaultAction
{
    /// <summary>The verb as written in YAML and shown in timelines.</summary>
    public abstract string Verb { get; }
}

/// <summary>Impairs the link from → to (or both ways), every link of some hosts, or every link.</summary>
public sealed record ImpairFault(LinkImpairment Impairment, string? From, string? To, bool BothWays, HostSelection? Hosts, PartitionDirection Direction) : FaultAction
{
    public override string Verb => "impair";
}

public sealed record PartitionFault(HostSelection Hosts, PartitionDirection Direction) : FaultAction
{
    public override string Verb => "partition";
}

/// <summary>Heals the given hosts, or everything (and clears impairments) when <see cref="Hosts"/> is null.</summary>
public sealed record HealFault(HostSelection? Hosts) : FaultAction
{
    public override string Verb => "heal";
}

public sealed record PowerCutFault(HostSelection Boards, TimeSpan? RestoreAfter) : FaultAction
{
    public override string Verb => "power_cut";
}

public sealed record KillFault(HostSelection Boards, string? Process) : FaultAction
{
    public override string Verb => "kill";
}
