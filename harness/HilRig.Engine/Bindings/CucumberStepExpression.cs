using CucumberExpressions;

namespace HilRig.Engine.Bindings;

/// <summary>
/// A step pattern written as a Cucumber expression (<c>I have {int} cucumber(s) in my belly/stomach</c>), parsed and
/// turned into a regex by Cucumber.CucumberExpressions; every parameter is one capture group of that regex.
/// </summary>
public sealed class CucumberStepExpression : IStepExpression
{
    private readonly CucumberExpression _expression;

    /// <exception cref="CucumberExpressionException">the expression does not parse or names an undefined parameter type</exception>
    public CucumberStepExpression(string source, ParameterTypeRegistry registry)
    {
        _expression = new CucumberExpression(source, registry);
        Parameters = _expression.ParameterTypes.Cast<ParameterType>().ToList();
    }

    public string Source => _expression.Source;

    public IReadOnlyList<ParameterType> Parameters { get; }

    public string RegexPattern => _expression.Regex.ToString();

    public IReadOnlyList<StepArgumentMatch>? Match(string text)
    {
        var m = _expression.Regex.Match(text);
        if (!m.Success) return null;
        var result = new StepArgumentMatch[Parameters.Count];
        for (var i = 0; i < Parameters.Count; i++)
        {
            var group = m.Groups[i + 1];
            result[i] = new StepArgumentMatch(group.Value, group.Success ? group.Index : -1, Parameters[i]);
        }
        return result;
    }

    public override string ToString() => Source;
}
