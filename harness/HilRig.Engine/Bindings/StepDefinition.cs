using System.Reflection;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Bindings;

/// <summary>A method bound to a step expression.</summary>
public sealed class StepDefinition
{
    internal StepDefinition(MethodInfo method, IStepExpression expression, StepKind kind, string? summary)
    {
        Method = method;
        Expression = expression;
        Kind = kind;
        Summary = summary;
        var parameters = method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).ToList();
        var expected = expression switch
        {
            CucumberExpression ce => ce.Parameters.Count,
            RegexStepExpression regex => regex.GroupCount,
            _ => parameters.Count,
        };
        if (parameters.Count < expected)
            throw new BindingException(
                $"{Describe(method)} takes {parameters.Count} parameters but \"{expression.Source}\" supplies {expected}");
        ArgumentCount = expected;
        var extra = parameters.Skip(expected).ToList();
        if (extra.Count > 1 || (extra.Count == 1 && !IsStepArgumentType(extra[0].ParameterType)))
            throw new BindingException(
                $"{Describe(method)} takes {parameters.Count} parameters but \"{expression.Source}\" supplies {expected}; " +
                "only one more parameter is allowed, of type DataTable, DocString or string (the doc string)");
        TakesStepArgument = extra.Count == 1;
        ParameterTypes = parameters.Select(p => p.ParameterType).ToList();
    }

    public MethodInfo Method { get; }

    public IStepExpression Expression { get; }

    public StepKind Kind { get; }

    public string? Summary { get; }

    /// <summary>How many parameters come from the step text.</summary>
    public int ArgumentCount { get; }

    /// <summary>Whether the last parameter receives the step's data table or doc string.</summary>
    public bool TakesStepArgument { get; }

    public IReadOnlyList<Type> ParameterTypes { get; }

    public string MethodName => Describe(Method);

    public static string Describe(MethodInfo method) =>
        $"{method.DeclaringType?.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";

    private static bool IsStepArgumentType(Type t) => t == typeof(DataTable) || t == typeof(DocString) || t == typeof(string);

    public override string ToString() => $"\"{Expression.Source}\" → {MethodName}";
}
