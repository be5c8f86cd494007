using HilRig.Update.Protocol;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Cm;

/// <summary>
/// Seed 001's sequence across the UMs of a unit:
/// <code>
/// PrepareUpdate → all PREPARED → StartUpdate → all UPDATED → ApplyUpdate → all IDLE
/// any FAILED (or a UM that does not answer in time) → RevertUpdate to all → all IDLE
/// </code>
/// The phase is persisted before each command, and each phase acts on what the UMs report rather than on what was
/// sent, so the same code finishes an update after a CM restart: FAILED → revert, PREPARED → continue (start),
/// UPDATED → apply. Commands go to UMs in descending UM priority. The update ends in one transaction with the result
/// to report (<paramref name="report"/>), so a CM killed right after still has it to deliver.
/// </summary>
public sealed class UpdateOrchestrator(UmRegistry registry, CmStateStore store, TimeSpan stepTimeout, ILogger? log = null, string? crashAt = null,
    Func<UpdateOutcome, string>? report = null)
{
    /// <summary>Runs (or resumes) the persisted update to its end.</summary>
    public async Task<UpdateOutcome> RunAsync(CancellationToken ct)
    {
        var (plan, phase, revert) = store.InProgress ?? throw new InvalidOperationException("no update in progress");
        var nodes = plan.Nodes.Keys.ToList();
        var version = (long)plan.ImageVersion;
        try
        {
            var statuses = await registry.WaitAsync(s => nodes.All(s.ContainsKey), stepTimeout, $"UMs {string.Join(", ", nodes)} to connect", ct);
            if (phase == UpdatePhase.Preparing) statuses = await RevertStrayAsync(statuses, plan.ImageVersion, ct);
            if (phase != UpdatePhase.Reverting && FirstFailure(statuses, nodes) is { } early)
                return await RevertAsync(plan, early, ct);

            if (phase == UpdatePhase.Preparing)
            {
                foreach (var node in Ordered(statuses, nodes))
                    if (statuses[node] is { UpdateState: UpdateState.Idle })
                        await registry.SendAsync(node, plan.PrepareFor(node), ct);
                statuses = await WaitAllAsync(nodes, UpdateState.Prepared, "PREPARED", ct);
                if (FirstFailure(statuses, nodes) is { } failure) return await RevertAsync(plan, failure, ct);
                store.SetPhase(phase = UpdatePhase.Starting);
                CrashPoint("before-start");
            }
            if (phase == UpdatePhase.Starting)
            {
                statuses = registry.Statuses;
                foreach (var node in Ordered(statuses, nodes))
                    if (statuses.GetValueOrDefault(node)?.UpdateState == UpdateState.Prepared)
                        await registry.SendAsync(node, new CMMessages { StartUpdate = new StartUpdate() }, ct);
                statuses = await WaitAllAsync(nodes, UpdateState.Updated, "UPDATED", ct);
                if (FirstFailure(statuses, nodes) is { } failure) return await RevertAsync(plan, failure, ct);
                store.SetPhase(phase = UpdatePhase.Applying);
                CrashPoint("before-apply");
            }
            if (phase == UpdatePhase.Applying)
            {
                statuses = registry.Statuses;
                foreach (var node in Ordered(statuses, nodes))
                    if (statuses.GetValueOrDefault(node)?.UpdateState == UpdateState.Updated)
                        await registry.SendAsync(node, new CMMessages { ApplyUpdate = new ApplyUpdate() }, ct);
                statuses = await registry.WaitAsync(
                    s => nodes.All(n => s.TryGetValue(n, out var st) && (st.UpdateState == UpdateState.Failed || st.UpdateState == UpdateState.Idle && st.ImageVersion == plan.ImageVersion)),
                    stepTimeout, "every UM IDLE on the new image", ct);
                if (FirstFailure(statuses, nodes) is { } failure) return await RevertAsync(plan, failure, ct);
                var installed = UpdateOutcome.Installed(version);
                store.Finish(installed: version, report?.Invoke(installed), plan.Downgrade);
                log?.LogInformation("image {Version} installed on {Nodes}", version, string.Join(", ", nodes));
                return installed;
            }
            return await RevertAsync(plan, revert ?? ("um-failed", "a revert resumed without a persisted reason"), ct);
        }
        catch (Exception e) when (e is TimeoutException or UmUnavailableException)
        {
            return await RevertAsync(plan, (UpdateOutcome.UmTimeout, e.Message), ct);
        }
    }

    /// <summary>
    /// A UM that is not IDLE for another image than the plan's holds an update this CM has no record of (its state was
    /// lost or replaced). Left alone, a FAILED one would fail the new update and a PREPARED or UPDATED one would be
    /// started or applied with an image nobody planned; it is reverted first, before anything of the new image is sent.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, UpdateStatus>> RevertStrayAsync(IReadOnlyDictionary<string, UpdateStatus> statuses, ulong image, CancellationToken ct)
    {
        var stray = statuses.Where(s => s.Value.UpdateState != UpdateState.Idle && s.Value.ImageVersion != image).Select(s => s.Key).ToList();
        if (stray.Count == 0) return statuses;
        log?.LogWarning("image {Version}: reverting {Nodes} first, left in an update of another image the CM has no record of: {States}",
            image, string.Join(", ", stray), UmRegistry.Describe(statuses));
        foreach (var node in Ordered(statuses, stray))
            await registry.SendAsync(node, new CMMessages { RevertUpdate = new RevertUpdate() }, ct);
        return await registry.WaitAsync(s => stray.All(n => s.TryGetValue(n, out var st) && st.UpdateState == UpdateState.Idle),
            stepTimeout, $"UMs {string.Join(", ", stray)} to revert an update of another image before image {image}", ct);
    }

    private void CrashPoint(string name)
    {
        if (crashAt == name) throw new CmCrashedException(name);
    }

    /// <summary>
    /// Reverts every UM and ends the update with the reason the revert started with. UMs that are not all IDLE within
    /// the step timeout leave the update in <see cref="UpdatePhase.Reverting"/>: <see cref="RevertPendingException"/>,
    /// and the next run (check-in or restart) resumes the revert, for the same reason.
    /// </summary>
    private async Task<UpdateOutcome> RevertAsync(UpdatePlan plan, (string Reason, string Detail) why, CancellationToken ct)
    {
        var nodes = plan.Nodes.Keys.ToList();
        why = store.BeginRevert(why.Reason, why.Detail);
        log?.LogWarning("image {Version}: reverting on {Nodes}: {Why}", plan.ImageVersion, string.Join(", ", nodes), why.Detail);
        var statuses = registry.Statuses;
        foreach (var node in Ordered(statuses, nodes))
        {
            try { await registry.SendAsync(node, new CMMessages { RevertUpdate = new RevertUpdate() }, ct); }
            catch (UmUnavailableException) { /* it reverts when it reconnects: the CM resumes this phase */ }
        }
        try
        {
            await registry.WaitAsync(s => nodes.All(n => s.TryGetValue(n, out var st) && st.UpdateState == UpdateState.Idle),
                stepTimeout, "every UM IDLE after RevertUpdate", ct);
        }
        catch (TimeoutException e)
        {
            throw new RevertPendingException((long)plan.ImageVersion, why.Reason, e);
        }
        var reverted = new UpdateOutcome((long)plan.ImageVersion, false, why.Reason, why.Detail);
        store.Finish(installed: null, report?.Invoke(reverted));
        return reverted;
    }

    private async Task<IReadOnlyDictionary<string, UpdateStatus>> WaitAllAsync(IReadOnlyList<string> nodes, UpdateState target, string what, CancellationToken ct) =>
        await registry.WaitAsync(s => nodes.All(n => s.TryGetValue(n, out var st) && (st.UpdateState == target || st.UpdateState == UpdateState.Failed || Beyond(st.UpdateState, target))) ||
                                      nodes.Any(n => s.TryGetValue(n, out var st) && st.UpdateState == UpdateState.Failed),
            stepTimeout, $"every UM {what}", ct);

    /// <summary>UPDATED counts as past PREPARED: a UM may have moved on before the CM restarted.</summary>
    private static bool Beyond(UpdateState state, UpdateState target) => target == UpdateState.Prepared && state == UpdateState.Updated;

    private static (string Reason, string Detail)? FirstFailure(IReadOnlyDictionary<string, UpdateStatus> statuses, IEnumerable<string> nodes)
    {
        foreach (var node in nodes)
            if (statuses.TryGetValue(node, out var s) && s.UpdateState == UpdateState.Failed)
                return ("um-failed", $"UM '{node}' FAILED: {s.Error?.Message ?? "no error given"}");
        return null;
    }

    private static IEnumerable<string> Ordered(IReadOnlyDictionary<string, UpdateStatus> statuses, IEnumerable<string> nodes) =>
        nodes.OrderByDescending(n => statuses.GetValueOrDefault(n)?.Priority ?? 0).ThenBy(n => n, StringComparer.Ordinal);
}

/// <summary>The CM stopped at a named fault-injection point (<see cref="CmConfig.CrashAt"/>), leaving its state as a kill would.</summary>
/// <summary>
/// A revert whose UMs were not all IDLE in time: the update stays in <see cref="UpdatePhase.Reverting"/> with its reason,
/// and the next check-in (or a restart) resumes it. Not an outcome: nothing is reported to the cloud yet.
/// </summary>
public sealed class RevertPendingException(long imageVersion, string reason, TimeoutException inner)
    : Exception($"image {imageVersion}: still reverting ({reason}), resumed at the next check-in: {inner.Message}", inner)
{
    public long ImageVersion { get; } = imageVersion;
}

public sealed class CmCrashedException(string point) : Exception($"CM crashed at fault point '{point}'");
