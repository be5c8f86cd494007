using System.Reflection;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Tags;

namespace HilRig.Engine.Bindings;

/// <summary>When a hook runs. Reqnroll's BeforeTestRun/AfterTestRun are the run hooks.</summary>
public enum HookKind
{
    BeforeRun,
    AfterRun,
    BeforeFeature,
    AfterFeature,
    BeforeScenario,
    AfterScenario,
    BeforeStep,
    AfterStep,
}

/// <summary>
/// A hook method with its kind, order and scope: the tag expressions of its attribute (any of them) and its
/// <c>[Scope]</c>s (any of them) must both hold.
/// </summary>
public sealed record HookDefinition(HookKind Kind, MethodInfo Method, TagExpression Tags, string? TagText, IReadOnlyList<BindingScope> Scopes, int Order)
{
    /// <summary>The hook id of Cucumber Messages.</summary>
    public string Id { get; init; } = "";

    public bool AppliesTo(Pickle? pickle, IReadOnlyCollection<string> tags) =>
        Tags.Evaluate(tags) && (pickle is null || BindingScope.BestScore(Scopes, pickle, tags) >= 0);

    public bool IsAfter => Kind is HookKind.AfterRun or HookKind.AfterFeature or HookKind.AfterScenario or HookKind.AfterStep;

    public override string ToString() =>
        $"{Kind} {StepDefinition.Describe(Method)}" + (TagText is null ? "" : $" [{TagText}]") + $" order {Order}";
}
