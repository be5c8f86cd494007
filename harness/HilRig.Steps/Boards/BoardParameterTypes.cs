using HilRig.Engine.Bindings;
using HilRig.Rig.Boards;

namespace HilRig.Steps.Boards;

/// <summary><c>{board}</c>: a board of the rig, written as its quoted name (<c>"dut"</c>).</summary>
[Binding]
public sealed class BoardParameterTypes(ScenarioRig rig)
{
    [ParameterType("board", "\"[A-Za-z0-9_-]+\"")]
    public Board Board(string quotedName) => rig.Board(quotedName.Trim('"'));
}
