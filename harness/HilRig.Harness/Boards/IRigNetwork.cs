using HilRig.Harness.Rig;
using HilRig.Harness.Runtime;

namespace HilRig.Harness.Boards;

/// <summary>
/// The network a scenario's boards share. <c>none</c> leaves boards on the host's loopback; SimNet puts each
/// in its own namespace on an impairable switch. Implementations register a factory in <see cref="RigNetworks"/>.
/// </summary>
public interface IRigNetwork : IAsyncDisposable
{
    /// <summary>Called once per board when the scenario first uses it, before it is powered on: add network and
    /// capture protocols, and arrange for its process to start inside the right namespace.</summary>
    void Attach(Board board);
}

/// <summary>Network types by the name used in <c>network.type</c> of the rig file.</summary>
public static class RigNetworks
{
    private static readonly Dictionary<string, Func<NetworkDefinition, ScenarioServices, IRigNetwork>> Factories = new()
    {
        ["none"] = (_, _) => new NoNetwork(),
    };

    public static void Register(string type, Func<NetworkDefinition, ScenarioServices, IRigNetwork> factory)
    {
        lock (Factories) Factories[type] = factory;
    }

    public static IRigNetwork Create(NetworkDefinition definition, ScenarioServices services)
    {
        Func<NetworkDefinition, ScenarioServices, IRigNetwork>? factory;
        lock (Factories) Factories.TryGetValue(definition.Type, out factory);
        return factory is null
            ? throw new RigFaultException($"network type '{definition.Type}' ({definition.Options.Location}) is not available in this build")
            : factory(definition, services);
    }

    private sealed class NoNetwork : IRigNetwork
    {
        public void Attach(Board board)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
