namespace HilRig.Engine.Bindings;

// Bindings use Reqnroll's attributes ([Binding], [Given], [BeforeScenario], [Scope], [StepArgumentTransformation], …).
// These are HilRig's own, for what Reqnroll has no word for.

/// <summary>One line for <c>hilrig steps</c>: what the step does. Applies to every step attribute of the method.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StepSummaryAttribute(string summary) : Attribute
{
    public string Summary { get; } = summary;
}

/// <summary>Context objects with this attribute live for the whole run instead of one scenario.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RunScopedAttribute : Attribute;

/// <summary>
/// Whether the parameter type a <c>[StepArgumentTransformation(…, Name = "x")]</c> method defines is offered in the
/// snippets for undefined steps (Reqnroll offers every one). Turn it off for a type whose regex would swallow text
/// another type names better: <c>{host}</c> matches <c>board "dut"</c>, which snippets should write as <c>board {board}</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class UseForSnippetsAttribute(bool use) : Attribute
{
    public bool Use { get; } = use;
}
