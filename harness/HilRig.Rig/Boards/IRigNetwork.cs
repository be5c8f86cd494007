using HilRig.Rig.Model;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Boards;

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

    private static readonly Dictionary<string, Action<RigDefinition>> Validators = new();

    /// <summary>Registers a network type; <paramref name="validate"/> checks its options when a rig file loads
    /// (throwing <see cref="RigFileException"/> with file:line:column), so a bad value stops the run before it starts.</summary>
    public static void Register(string type, Func<NetworkDefinition, ScenarioServices, IRigNetwork> factory, Action<RigDefinition>? validate = null)
    {
        lock (Factories)
        {
            Factories[type] = factory;
            if (validate is not null) Validators[type] = validate;
        }
    }

    /// <summary>Runs the network type's own checks on a loaded rig (RigLoader calls it).</summary>
    public static void Validate(RigDefinition rig)
    {
        Action<RigDefinition>? validate;
        lock (Factories) Validators.TryGetValue(rig.Network.Type, out validate);
        validate?.Invoke(rig);
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
