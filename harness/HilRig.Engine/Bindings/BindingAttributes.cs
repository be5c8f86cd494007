using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Bindings;

/// <summary>Marks a class whose methods are step definitions, hooks or parameter types.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class BindingAttribute : Attribute;

/// <summary>
/// Binds a method to steps whose text matches <see cref="Expression"/>, a Cucumber expression or, when it
/// starts with <c>^</c> or ends with <c>$</c>, a regular expression. As in Cucumber, the keyword a step is
/// written with does not restrict matching; it only documents intent and shapes snippets.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public abstract class StepDefinitionAttribute(string expression, StepKind kind) : Attribute
{
    public string Expression { get; } = expression;

    public StepKind Kind { get; } = kind;

    /// <summary>One line for <c>hilrig steps</c>: what the step does.</summary>
    public string? Summary { get; init; }
}

public sealed class GivenAttribute(string expression) : StepDefinitionAttribute(expression, StepKind.Context);

public sealed class WhenAttribute(string expression) : StepDefinitionAttribute(expression, StepKind.Action);

public sealed class ThenAttribute(string expression) : StepDefinitionAttribute(expression, StepKind.Outcome);

/// <summary>A step definition for any keyword.</summary>
public sealed class StepAttribute(string expression) : StepDefinitionAttribute(expression, StepKind.Unknown);

/// <summary>
/// Declares a custom parameter type <c>{Name}</c> matching <see cref="Regex"/>; the method turns the matched
/// text into a value. Instance methods get a binding object built for the scenario, so they can use its context.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ParameterTypeAttribute(string name, string regex) : Attribute
{
    public string Name { get; } = name;

    public string Regex { get; } = regex;

    public bool UseForSnippets { get; init; }
}

/// <summary>
/// A hook, optionally scoped by a Cucumber tag expression (<c>@a and not (@b or @c)</c>).
/// Lower <see cref="Order"/> runs first for before-hooks and last for after-hooks.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public abstract class HookAttribute(HookKind kind, string? tags) : Attribute
{
    public HookKind Kind { get; } = kind;

    public string? Tags { get; } = tags;

    public int Order { get; init; } = 10_000;
}

public enum HookKind
{
    BeforeRun,
    AfterRun,
    BeforeScenario,
    AfterScenario,
    BeforeStep,
    AfterStep,
}

public sealed class BeforeRunAttribute() : HookAttribute(HookKind.BeforeRun, null);

public sealed class AfterRunAttribute() : HookAttribute(HookKind.AfterRun, null);

public sealed class BeforeScenarioAttribute(string? tags = null) : HookAttribute(HookKind.BeforeScenario, tags);

public sealed class AfterScenarioAttribute(string? tags = null) : HookAttribute(HookKind.AfterScenario, tags);

public sealed class BeforeStepAttribute(string? tags = null) : HookAttribute(HookKind.BeforeStep, tags);

public sealed class AfterStepAttribute(string? tags = null) : HookAttribute(HookKind.AfterStep, tags);

/// <summary>Context objects with this attribute live for the whole run instead of one scenario.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RunScopedAttribute : Attribute;
