using HilRig.Engine.Bindings;
using Reqnroll;

namespace HilRig.Steps.Network;

/// <summary>A host on the rig network, as steps name it: <c>board "main"</c> or <c>the cloud</c>; the value is the SimNet host name.</summary>
public sealed record NetworkHost(string Name)
{
    public override string ToString() => Name == SimNetRigNetwork.CloudHost ? "the cloud" : $"board \"{Name}\"";
}

[Binding]
public sealed class HostParameterTypes
{
    /// <summary>Not offered in snippets: it would swallow <c>board "dut"</c>, which snippets write as <c>board {board}</c>.</summary>
    [StepArgumentTransformation("board \"([A-Za-z0-9_-]+)\"|the cloud", Name = "host")]
    [UseForSnippets(false)]
    public NetworkHost Host(string board) => new(board.Length == 0 ? SimNetRigNetwork.CloudHost : board);
}
