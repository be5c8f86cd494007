using System.Text;
using HilRig.Rig.Boards;
using HilRig.Engine.Runtime;
using HilRig.Simulators.Faults;
using HilRig.Steps.Network;

namespace HilRig.Steps.Faults;

/// <summary>
/// The faults of one scenario: fault plans (from <c>--plan FILE</c> or written in a step) playing in the background, and
/// single faults applied by steps. Every one goes through a <see cref="FaultPlanRunner"/> against SimNet and the boards'
/// <see cref="IFaultTarget"/>s, so all are recorded; when the scenario ends, the planned and applied timeline is attached
/// to the report. A plan's seed is its own or the scenario's (from the run seed and the scenario's location), so the
/// replay line (<c>--seed N</c>, plan included) expands the same timeline.
/// </summary>
public sealed class ScenarioFaults(ScenarioRig rig, ScenarioRun scenario, ScenarioOutput output) : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<(FaultPlanRunner Runner, Task Run)> _plans = new();
    private readonly List<AppliedFault> _single = new();
    private readonly Dictionary<string, BoardFaultTarget> _targets = new();
    private readonly CancellationTokenSource _stop = new();
    private INetworkFaults? _network;
    private bool _networkResolved;

    /// <summary>The seed a plan without its own expands with: the scenario's "faultplan" seed.</summary>
    public ulong Seed => (ulong)(uint)scenario.SeedFor("faultplan");

    public IReadOnlyList<FaultPlanRunner> Plans
    {
        get { lock (_gate) return _plans.Select(p => p.Runner).ToList(); }
    }

    private INetworkFaults? NetworkFaults
    {
        get
        {
            lock (_gate)
            {
                if (_networkResolved) return _network;
                _networkResolved = true;
                return _network = rig.Definition.Network.Type == "simnet" && rig.Network is SimNetRigNetwork sim ? new SimNetFaults(sim, rig) : null;
            }
        }
    }

    private IReadOnlyDictionary<string, IFaultTarget> Targets()
    {
        lock (_gate)
        {
            foreach (var b in rig.Definition.Boards)
                if (!_targets.ContainsKey(b.Name))
                    _targets[b.Name] = new BoardFaultTarget(b.Name, () => rig.Board(b.Name), TimeProvider.System);
            return _targets.ToDictionary(t => t.Key, t => (IFaultTarget)t.Value);
        }
    }

    /// <summary>Expands the plan with its seed (or the scenario's), checks its targets against the rig, and starts it now.</summary>
    public FaultTimeline Start(FaultPlan plan)
    {
        var timeline = FaultTimeline.Expand(plan, Seed);
        var network = NetworkFaults;
        var boards = rig.Definition.Boards.Select(b => b.Name).ToList();
        var hosts = network is null ? [] : boards.Append(SimNetRigNetwork.CloudHost).ToList();
        timeline.Validate(hosts, boards);
        var runner = new FaultPlanRunner(timeline, network, Targets(), TimeProvider.System);
        runner.FaultApplied += a => output.WriteLine($"fault plan '{timeline.Name}': {a}");
        output.WriteLine($"fault plan '{timeline.Name}' started (seed {timeline.Seed}, {timeline.Entries.Count} faults over {(timeline.Entries.Count == 0 ? 0 : timeline.Entries[^1].At.TotalSeconds):0.###} s)");
        var run = Task.Run(() => runner.RunAsync(_stop.Token));
        lock (_gate) _plans.Add((runner, run));
        return timeline;
    }

    /// <summary>Waits until every plan started so far has applied its last fault.</summary>
    public async Task WaitForPlansAsync(TimeSpan timeout, CancellationToken ct)
    {
        Task[] runs;
        lock (_gate) runs = _plans.Select(p => p.Run).ToArray();
        try
        {
            await Task.WhenAll(runs).WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            throw new RigFaultException($"the fault plan(s) did not finish within {timeout.TotalSeconds:0} s:\n{Report()}");
        }
    }

    /// <summary>Applies one fault now (a step's "When board … is partitioned"), recorded like a plan's; a fault the rig cannot apply is a rig fault.</summary>
    public async Task ApplyAsync(FaultAction action, string where, CancellationToken ct)
    {
        var timeline = FaultTimeline.Expand(new FaultPlan("steps", Seed, [new FaultStep(TimeSpan.Zero, action, where)], where), Seed);
        var runner = new FaultPlanRunner(timeline, NetworkFaults, Targets(), TimeProvider.System);
        if (action is ImpairFault or PartitionFault or HealFault && NetworkFaults is null)
            throw new RigFaultException($"{where}: {action.Verb} needs SimNet, but the rig's network is '{rig.Definition.Network.Type}'");
        await runner.RunAsync(ct);
        var applied = runner.Applied.Single();
        lock (_gate) _single.Add(applied);
        output.WriteLine($"fault: {applied}");
        if (applied.Error is { } error) throw new RigFaultException($"{where}: the rig could not apply '{applied.Fault.Describe()}': {error}");
    }

    /// <summary>The timeline report: each plan's planned and applied faults, then the single faults of steps.</summary>
    public string Report()
    {
        var sb = new StringBuilder();
        foreach (var runner in Plans) sb.AppendLine(runner.ToReport());
        List<AppliedFault> single;
        lock (_gate) single = _single.ToList();
        if (single.Count > 0)
        {
            sb.AppendLine("faults applied by steps:");
            foreach (var a in single) sb.Append("  ").Append(a).Append("  (").Append(a.Fault.StepLocation).AppendLine(")");
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] runs;
        lock (_gate) runs = _plans.Select(p => p.Run).ToArray();
        try
        {
            await Task.WhenAll(runs);
        }
        catch (OperationCanceledException)
        {
        }
        bool used;
        lock (_gate) used = _plans.Count > 0 || _single.Count > 0;
        if (used) output.AttachText("fault timeline", Report());
        foreach (var t in _targets.Values) await t.DisposeAsync();
        _stop.Dispose();
    }
}
