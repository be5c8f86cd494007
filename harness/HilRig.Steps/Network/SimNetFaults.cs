using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;

namespace HilRig.Steps.Network;

/// <summary>
/// The rig's SimNet as a fault plan's network: a fault may name a host that has not joined the switch yet (a plan
/// starts with the scenario, boards boot later), so each fault first puts its hosts on the switch — a board gets its
/// namespace, the cloud its host — and then acts. The switch remembers host-level settings for hosts joining later.
/// </summary>
public sealed class SimNetFaults(SimNetRigNetwork network, ScenarioRig rig) : INetworkFaults
{
    private void Ensure(string host)
    {
        if (network.Switch.Ports.Any(p => p.Host == host)) return;
        if (host == SimNetRigNetwork.CloudHost)
        {
            network.AddServiceHost(host, rig.Definition.Cloud?.Options.String("address"));
            return;
        }
        if (rig.Definition.FindBoard(host) is null)
            throw new ArgumentException($"'{host}' is not a host of this rig (boards: {string.Join(", ", rig.Definition.Boards.Select(b => b.Name))}, and {SimNetRigNetwork.CloudHost})");
        // Asking for the namespace creates the board's host on the switch.
        _ = rig.Board(host).Get<INetworkProtocol>().Namespace;
    }

    public void Impair(string from, string to, LinkImpairment impairment)
    {
        Ensure(from);
        Ensure(to);
        network.Switch.Impair(from, to, impairment);
    }

    public void ImpairHost(string host, LinkImpairment impairment, PartitionDirection direction)
    {
        Ensure(host);
        network.Switch.ImpairHost(host, impairment, direction);
    }

    public void ImpairAll(LinkImpairment impairment) => network.Switch.ImpairAll(impairment);

    public void Restore(string from, string to)
    {
        Ensure(from);
        Ensure(to);
        network.Switch.Restore(from, to);
    }

    public void RestoreHost(string host, PartitionDirection direction)
    {
        Ensure(host);
        network.Switch.RestoreHost(host, direction);
    }

    public void RestoreAll() => network.Switch.RestoreAll();

    public void Partition(IReadOnlyCollection<string> hosts, PartitionDirection direction)
    {
        foreach (var h in hosts) Ensure(h);
        network.Switch.Partition(hosts, direction);
    }

    public void Heal(IReadOnlyCollection<string> hosts)
    {
        foreach (var h in hosts) Ensure(h);
        network.Switch.Heal(hosts);
    }

    public void HealAll() => network.Switch.HealAll();
}
