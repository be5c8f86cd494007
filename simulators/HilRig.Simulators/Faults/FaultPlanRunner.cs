using System.Globalization;
using System.Text;
using HilRig.Simulators.SimNet;

namespace HilRig.Simulators.Faults;

/// <summary>A fault as it actually happened: when (offset from the plan's start and wall time) and whether it worked.</summary>
public sealed record AppliedFault(ScheduledFault Fault, TimeSpan ActualOffset, DateTimeOffset Time, string? Error)
{
    public override string ToString() =>
        $"{Fault.Describe()} @ {Time:HH:mm:ss.fff} (+{ActualOffset.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)}s){(Error is null ? "" : " FAILED: " + Error)}";
}

/// <summary>
/// Plays a <see cref="FaultTimeline"/> against the network and the boards on a <see cref="TimeProvider"/>,
/// recording what was applied when. The record is attached to the report; a failing scenario's replay line
/// (same seed) expands the same timeline again.
/// </summary>
public sealed class FaultPlanRunner(FaultTimeline timeline, INetworkFaults? network, IReadOnlyDictionary<string, IFaultTarget> boards, TimeProvider time)
{
    private readonly List<AppliedFault> _applied = new();

    public FaultTimeline Timeline { get; } = timeline;

    public IReadOnlyList<AppliedFault> Applied
    {
        get { lock (_applied) return _applied.ToList(); }
    }

    /// <summary>Raised after each fault is applied.</summary>
    public event Action<AppliedFault>? FaultApplied;

    /// <summary>Runs the whole timeline; a fault that throws is recorded and the plan goes on (the scenario decides whether that fails it).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (Timeline.Entries.Any(e => e.Action is ImpairFault or PartitionFault or HealFault) && network is null)
            throw new InvalidOperationException($"fault plan '{Timeline.Name}' has network faults but the rig has no SimNet");
        var start = time.GetTimestamp();
        foreach (var fault in Timeline.Entries)
        {
            var wait = fault.At - time.GetElapsedTime(start);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            string? error = null;
            try
            {
                await ApplyAsync(fault, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                error = e.Message;
            }
            var applied = new AppliedFault(fault, time.GetElapsedTime(start), time.GetUtcNow(), error);
            lock (_applied) _applied.Add(applied);
            FaultApplied?.Invoke(applied);
        }
    }

    private async Task ApplyAsync(ScheduledFault fault, CancellationToken ct)
    {
        switch (fault.Action)
        {
            // An undo puts links back on the rig's profile: a rig that says "this site is lossy" stays lossy after a fault.
            case ImpairFault { From: { } from, To: { } to } i when fault.IsUndo:
                network!.Restore(from, to);
                if (i.BothWays) network.Restore(to, from);
                break;
            case ImpairFault { From: { } from, To: { } to } i:
                network!.Impair(from, to, i.Impairment);
                if (i.BothWays) network.Impair(to, from, i.Impairment);
                break;
            case ImpairFault { Hosts: not null } i when fault.IsUndo:
                foreach (var host in fault.Targets) network!.RestoreHost(host, i.Direction);
                break;
            case ImpairFault { Hosts: not null } i:
                foreach (var host in fault.Targets) network!.ImpairHost(host, i.Impairment, i.Direction);
                break;
            case ImpairFault when fault.IsUndo:
                network!.RestoreAll();
                break;
            case ImpairFault i:
                network!.ImpairAll(i.Impairment);
                break;
            case PartitionFault p when fault.IsUndo:
                network!.Heal(fault.Targets);
                break;
            case PartitionFault p:
                network!.Partition(fault.Targets, p.Direction);
                break;
            case HealFault { Hosts: null }:
                network!.HealAll();
                network.RestoreAll();
                break;
            case HealFault:
                network!.Heal(fault.Targets);
                break;
            case PowerCutFault pc:
                foreach (var b in fault.Targets) await Board(b).PowerCutAsync(pc.RestoreAfter, ct).ConfigureAwait(false);
                break;
            case KillFault k:
                foreach (var b in fault.Targets) await Board(b).KillProcessAsync(k.Process, ct).ConfigureAwait(false);
                break;
        }
    }

    private IFaultTarget Board(string name) =>
        boards.TryGetValue(name, out var b) ? b : throw new InvalidOperationException($"board '{name}' has no power/kill target in this rig");

    /// <summary>The record as report text: the planned timeline and what happened.</summary>
    public string ToReport()
    {
        var sb = new StringBuilder(Timeline.ToText());
        sb.AppendLine("applied:");
        foreach (var a in Applied) sb.Append("  ").AppendLine(a.ToString());
        return sb.ToString();
    }
}
