using HilRig.Rig.Boards;
using Reqnroll;

namespace HilRig.Steps.Boards;

/// <summary>
/// <c>{board}</c>: a board of the rig, written as its quoted name (<c>"dut"</c>). Snippets for undefined steps use it
/// where the step says <c>board "dut"</c>, and <c>{string}</c> for other quoted text.
/// </summary>
[Binding]
public sealed class BoardParameterTypes(ScenarioRig rig)
{
    [StepArgumentTransformation("\"([A-Za-z0-9_-]+)\"", Name = "board")]
    public Board Board(string name) => rig.Board(name);
}
