using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Simulators.Faults;
using HilRig.Simulators.SimNet;
using Reqnroll;

namespace HilRig.Steps.Network;

/// <summary>What the rig file made of the network: addresses and the impairments links start with.</summary>
[Binding]
public sealed class RigNetworkSteps(ScenarioCapture capture)
{
    [Then("board {board} is at {string} on the rig network")]
    [StepSummary("the board's address as other hosts reach it (rig.yaml network.address, or assigned from the subnet)")]
    public void Address(Board board, string address)
    {
        var actual = board.Get<INetworkProtocol>().Addresses;
        if (!actual.Select(a => a.ToString()).Contains(address))
            throw new AssertionFailedException($"board {board.Name} is at {string.Join(", ", actual)}, not {address}");
    }

    [Then("SimNet impairs the link from {host} to {host} with {string}")]
    [StepSummary("the impairment in effect on one direction of a link, in plan syntax (\"{}\" for none)")]
    public void Impairment(NetworkHost from, NetworkHost to, string yaml)
    {
        var expected = FaultPlanParser.ParseImpairment(yaml, "expected impairment", "step");
        var actual = capture.Network.Switch.ImpairmentOf(from.Name, to.Name);
        if (actual != expected) throw new AssertionFailedException($"SimNet impairs {from} → {to} with {actual}, expected {expected}");
    }
}
