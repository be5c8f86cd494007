using HilRig.Engine.Runtime;

namespace HilRig.Steps.Fleet;

/// <summary>A scenario's fleet: started by a step, stopped with the scenario; its units' state is not kept as evidence.</summary>
public sealed class ScenarioFleet(ScenarioOutput output) : IAsyncDisposable
{
    private Fleet? _fleet;

    public Fleet Fleet => _fleet ?? throw new InvalidOperationException("there is no fleet; start one with \"Given a fleet of N units\"");

    public long ImageVersion { get; set; }

    public FleetReport? LastUpdate { get; set; }

    public string Directory => Path.Combine(output.Directory, "fleet");

    public async Task StartAsync(int units, CancellationToken ct)
    {
        if (_fleet is not null) throw new InvalidOperationException("the scenario already has a fleet");
        _fleet = await Fleet.StartAsync(units, Directory, ct: ct);
        output.WriteLine($"{units} units up in {_fleet.StartSeconds:0.0} s, cloud on {_fleet.Cloud.UnitUrl}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_fleet is null) return;
        await _fleet.DisposeAsync();
        _fleet = null;
        if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
    }
}
