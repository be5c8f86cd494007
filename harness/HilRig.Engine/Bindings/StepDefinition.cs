using System.Reflection;
using HilRig.Engine.Gherkin;
using Reqnroll;

namespace HilRig.Engine.Bindings;

/// <summary>A method bound to a step expression by a Reqnroll <c>[Given]</c>, <c>[When]</c>, <c>[Then]</c> or <c>[StepDefinition]</c>.</summary>
public sealed class StepDefinition
{
    internal StepDefinition(MethodInfo method, IStepExpression expression, IReadOnlySet<StepKind> kinds, string? summary,
        IReadOnlyList<BindingScope> scopes, Func<Type, bool> convertsStepArgumentTo)
    {
        Method = method;
        Expression = expression;
        Kinds = kinds;
        Summary = summary;
        Scopes = scopes;
        var parameters = method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).ToList();
        var expected = expression switch
        {
            CucumberStepExpression ce => ce.Parameters.Count,
            RegexStepExpression regex => regex.GroupCount,
            _ => parameters.Count,
        };
        if (parameters.Count < expected)
            throw new StepBindingException(
                $"{Describe(method)} takes {parameters.Count} parameters but \"{expression.Source}\" supplies {expected}");
        ArgumentCount = expected;
        var extra = parameters.Skip(expected).ToList();
        if (extra.Count > 1 || (extra.Count == 1 && !convertsStepArgumentTo(extra[0].ParameterType)))
            throw new StepBindingException(
                $"{Describe(method)} takes {parameters.Count} parameters but \"{expression.Source}\" supplies {expected}; " +
                "only one more parameter is allowed, for the step's data table (DataTable, Table, StepTable or a type a table transformation returns) " +
                "or doc string (string, DocString)");
        TakesStepArgument = extra.Count == 1;
        ParameterTypes = parameters.Select(p => p.ParameterType).ToList();
    }

    public MethodInfo Method { get; }

    public IStepExpression Expression { get; }

    /// <summary>The keywords it is written for (Given = context, When = action, Then = outcome); all for [StepDefinition].</summary>
    public IReadOnlySet<StepKind> Kinds { get; }

    public string? Summary { get; }

    public IReadOnlyList<BindingScope> Scopes { get; }

    /// <summary>The step definition id of Cucumber Messages.</summary>
    public string Id { get; internal set; } = "";

    /// <summary>How many parameters come from the step text.</summary>
    public int ArgumentCount { get; }

    /// <summary>Whether the last parameter receives the step's data table or doc string.</summary>
    public bool TakesStepArgument { get; }

    public IReadOnlyList<Type> ParameterTypes { get; }

    public string MethodName => Describe(Method);

    /// <summary>The keyword <c>hilrig steps</c> shows: Given, When, Then, or * for a step of any kind.</summary>
    public string Keyword => Kinds.Count == 1
        ? Kinds.Single() switch { StepKind.Context => "Given", StepKind.Action => "When", StepKind.Outcome => "Then", _ => "*" }
        : "*";

    public static string Describe(MethodInfo method) =>
        $"{method.DeclaringType?.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";

    internal static IReadOnlySet<StepKind> KindsOf(StepDefinitionBaseAttribute attribute) =>
        attribute.Types.Select(t => t switch
        {
            Reqnroll.Bindings.StepDefinitionType.Given => StepKind.Context,
            Reqnroll.Bindings.StepDefinitionType.When => StepKind.Action,
            _ => StepKind.Outcome,
        }).ToHashSet();

    public override string ToString() => $"\"{Expression.Source}\" → {MethodName}";
}
