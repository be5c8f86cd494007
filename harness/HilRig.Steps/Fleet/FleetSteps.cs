using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using Reqnroll;

namespace HilRig.Steps.Fleet;

/// <summary>Many units through one cloud at once (`hilrig fleet` as steps): what a rollout to a fleet does to the cloud.</summary>
[Binding]
public sealed class FleetSteps(ScenarioFleet fleet, ScenarioRun scenario, ScenarioOutput output)
{
    [Given("a fleet of {int} units")]
    [StepSummary("starts that many simulated units (CM and UM as on a board, in the harness) and a cloud without an offer throttle")]
    public Task Start(int units, CancellationToken ct) => fleet.StartAsync(units, ct);

    [When("the OEM uploads version {string} for the fleet")]
    [StepSummary("a signed bundle of the units' component at that version, uploaded to the fleet's cloud")]
    public async Task Upload(string version, CancellationToken ct)
    {
        fleet.ImageVersion = await fleet.Fleet.UploadAsync(version, 4096, scenario.RandomFor($"fleet/{version}"), ct);
        output.WriteLine($"uploaded bundle {version} as image version {fleet.ImageVersion}");
    }

    [When("every unit of the fleet checks in at once")]
    [StepSummary("all units check in together and run the offered update to its end, then check in once more to measure the cloud's rate")]
    public async Task CheckIn(CancellationToken ct)
    {
        var r = fleet.LastUpdate = await fleet.Fleet.UpdateAsync(fleet.ImageVersion, ct);
        output.WriteLine($"units={r.Units} updated={r.Updated} failed={r.Failed} seconds={r.Seconds:0.00} checkins_per_s={r.CheckInsPerSecond:0}");
    }

    [Then("every unit of the fleet installed the new image")]
    [StepSummary("each unit's CM reported the update installed and its UM runs the new component version")]
    public void AllInstalled()
    {
        var r = fleet.LastUpdate ?? throw new InvalidOperationException("the fleet has not checked in; use \"When every unit of the fleet checks in at once\"");
        if (r.Failed != 0) throw new AssertionFailedException($"{r.Failed} of {r.Units} units did not update:\n{string.Join('\n', r.Failures.Take(20))}");
        var stale = fleet.Fleet.Units.Where(u => u.InstalledImageVersion != fleet.ImageVersion).Select(u => $"{u.Id}: image {u.InstalledImageVersion}").ToList();
        if (stale.Count > 0) throw new AssertionFailedException($"units not on image {fleet.ImageVersion}:\n{string.Join('\n', stale.Take(20))}");
    }

    [Then("the cloud counts every unit of the fleet on its target version")]
    [StepSummary("the cloud's dashboard: as many units as the fleet, 100 % on target, no failed upgrade")]
    public void CloudOnTarget()
    {
        var r = fleet.LastUpdate ?? throw new InvalidOperationException("the fleet has not checked in; use \"When every unit of the fleet checks in at once\"");
        if (r.CloudUnits != r.Units || r.CloudOnTargetPercent < 100 || r.CloudFailed != 0)
            throw new AssertionFailedException($"the cloud counts {r.CloudUnits} units, {r.CloudOnTargetPercent:0.#} % on target, {r.CloudFailed} failed; the fleet has {r.Units}");
    }
}
