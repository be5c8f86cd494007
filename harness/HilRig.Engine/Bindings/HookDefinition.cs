using System.Reflection;
using HilRig.Engine.Tags;

namespace HilRig.Engine.Bindings;

/// <summary>A hook method with its kind, tag scope and order.</summary>
public sealed record HookDefinition(HookKind Kind, MethodInfo Method, TagExpression Scope, string? ScopeText, int Order)
{
    public bool AppliesTo(IReadOnlyCollection<string> tags) => Scope.Evaluate(tags);

    public override string ToString() =>
        $"{Kind} {StepDefinition.Describe(Method)}" + (ScopeText is null ? "" : $" [{ScopeText}]") + $" order {Order}";
}
