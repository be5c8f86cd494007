using HilRig.Engine.Bindings;

namespace HilRig.Steps.Network;

/// <summary>A host on the rig network, as steps name it: <c>board "main"</c> or <c>the cloud</c>; the value is the SimNet host name.</summary>
public sealed record NetworkHost(string Name)
{
    public override string ToString() => Name == SimNetRigNetwork.CloudHost ? "the cloud" : $"board \"{Name}\"";
}

[Binding]
public sealed class HostParameterTypes
{
    [ParameterType("host", "board \"[A-Za-z0-9_-]+\"|the cloud")]
    public NetworkHost Host(string text) =>
        new(text == "the cloud" ? SimNetRigNetwork.CloudHost : text["board ".Length..].Trim('"'));
}
