using System.Globalization;
using System.Text;
using HilRig.Simulators.Randomness;
using HilRig.Simulators.SimNet;

namespace HilRig.Simulators.Faults;

/// <summary>One concrete fault at one offset from the plan's start, with its targets chosen.</summary>
public sealed record ScheduledFault(TimeSpan At, FaultAction Action, IReadOnlyList<string> Targets, bool IsUndo, string StepLocation)
{
    /// <summary>Where the step is written in its plan, when known.</summary>
    public PlanPosition? StepPosition { get; init; }

    /// <summary>A problem of this fault, at its step's file:line:column (or its location text).</summary>
    internal FaultPlanError Error(string? key, string message) =>
        new(StepPosition ?? new PlanPosition(StepLocation, 0, 0), key, message);

    public string Describe()
    {
        var what = Action switch
        {
            ImpairFault { From: { } f, To: { } t } i => $"{(IsUndo ? "clear" : "impair")} {f} {(i.BothWays ? "<->" : "->")} {t}{(IsUndo ? "" : ": " + i.Impairment)}",
            ImpairFault { Hosts: not null } i => $"{(IsUndo ? "clear" : "impair")} {string.Join(",", Targets)} ({i.Direction.ToString().ToLowerInvariant()}){(IsUndo ? "" : ": " + i.Impairment)}",
            ImpairFault i => $"{(IsUndo ? "clear" : "impair")} all{(IsUndo ? "" : ": " + i.Impairment)}",
            PartitionFault p when IsUndo => $"heal {string.Join(",", Targets)}",
            PartitionFault p => $"partition {string.Join(",", Targets)} ({p.Direction.ToString().ToLowerInvariant()})",
            HealFault { Hosts: null } => "heal all",
            HealFault => $"heal {string.Join(",", Targets)}",
            PowerCutFault pc => $"power_cut {string.Join(",", Targets)}{(pc.RestoreAfter is { } r ? $" (restore after {r.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)" : "")}",
            KillFault k => $"kill {string.Join(",", Targets)}{(k.Process is { } p ? " process " + p : "")}",
            _ => Action.Verb,
        };
        return $"+{At.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)}s {what}";
    }
}

/// <summary>
/// A plan expanded with a seed: every occurrence, jittered time and picked target fixed. Expanding the same
/// plan with the same seed gives the same timeline — the replay guarantee.
/// </summary>
public sealed class FaultTimeline
{
    private FaultTimeline(string name, ulong seed, IReadOnlyList<ScheduledFault> entries)
    {
        Name = name;
        Seed = seed;
        Entries = entries;
    }

    public string Name { get; }

    /// <summary>The seed used: the plan's own, or the run seed.</summary>
    public ulong Seed { get; }

    public IReadOnlyList<ScheduledFault> Entries { get; }

    /// <summary>Most occurrences one step may expand to: a typo like every: 1ms must not hang the run.</summary>
    public const int MaxOccurrencesPerStep = 10_000;

    public static FaultTimeline Expand(FaultPlan plan, ulong runSeed)
    {
        var seed = plan.Seed ?? runSeed;
        var random = new DeterministicRandom(seed, $"faultplan/{plan.Name}");
        var entries = new List<ScheduledFault>();
        foreach (var step in plan.Steps)
        {
            var occurrences = 0;
            for (var t = step.At; t <= (step.Until ?? step.At); t += step.Every ?? TimeSpan.MaxValue)
            {
                if (++occurrences > MaxOccurrencesPerStep)
                    throw new FaultPlanException(new FaultPlanError(step.Position ?? new PlanPosition(step.Location, 0, 0), null,
                        $"{step.Action.Verb} repeats more than {MaxOccurrencesPerStep} times; raise every or lower until"));
                var at = t + (step.Jitter > TimeSpan.Zero ? TimeSpan.FromTicks((long)(random.NextDouble() * step.Jitter.Ticks)) : TimeSpan.Zero);
                var targets = Targets(step.Action, random);
                entries.Add(new ScheduledFault(at, step.Action, targets, false, step.Location) { StepPosition = step.Position });
                if (step.For is { } duration) entries.Add(new ScheduledFault(at + duration, step.Action, targets, true, step.Location) { StepPosition = step.Position });
                if (step.Every is null) break;
            }
        }
        // Stable: equal times keep plan order.
        var ordered = entries.Select((e, i) => (e, i)).OrderBy(x => x.e.At).ThenBy(x => x.i).Select(x => x.e).ToList();
        return new FaultTimeline(plan.Name, seed, ordered);
    }

    private static IReadOnlyList<string> Targets(FaultAction action, DeterministicRandom random)
    {
        var selection = action switch
        {
            ImpairFault i => i.Hosts ?? (i.From is not null ? new HostSelection([i.From, i.To!]) : null),
            PartitionFault p => p.Hosts,
            HealFault h => h.Hosts,
            PowerCutFault pc => pc.Boards,
            KillFault k => k.Boards,
            _ => null,
        };
        if (selection is null) return [];
        if (selection.Pick is not { } n) return selection.Hosts;
        // Partial Fisher–Yates over a copy: n distinct hosts, in the order drawn.
        var pool = selection.Hosts.ToList();
        for (var i = 0; i < n; i++)
        {
            var j = i + random.NextInt(pool.Count - i);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(n).ToList();
    }

    /// <summary>Checks every target against the rig's hosts and boards before anything runs; all errors at once.</summary>
    public void Validate(IReadOnlyCollection<string> networkHosts, IReadOnlyCollection<string> boards)
    {
        var errors = new List<FaultPlanError>();
        foreach (var e in Entries.Where(e => !e.IsUndo))
        {
            var known = e.Action is PowerCutFault or KillFault ? boards : networkHosts;
            var kind = e.Action is PowerCutFault or KillFault ? "board" : "network host";
            var all = e.Action switch
            {
                ImpairFault { Hosts: { } h } => h.Hosts,
                PartitionFault p => p.Hosts.Hosts,
                HealFault { Hosts: { } h } => h.Hosts,
                PowerCutFault pc => pc.Boards.Hosts,
                KillFault k => k.Boards.Hosts,
                _ => e.Targets,
            };
            foreach (var t in all.Where(t => !known.Contains(t)).Distinct())
                errors.Add(e.Error(e.Action.Verb, $"'{t}' is not a {kind} of this rig (known: {string.Join(", ", known.Order())})"));
        }
        if (errors.Count > 0) throw new FaultPlanException(errors.Distinct().ToList());
    }

    /// <summary>The timeline as report text, one line per fault.</summary>
    public string ToText()
    {
        var sb = new StringBuilder($"fault plan '{Name}', seed {Seed}\n");
        foreach (var e in Entries) sb.Append("  ").AppendLine(e.Describe());
        return sb.ToString();
    }
}
