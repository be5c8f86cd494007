using System.Reflection;
using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using Reqnroll;

namespace HilRig.Engine.Bindings;

/// <summary>
/// A Reqnroll <c>[StepArgumentTransformation]</c> method. With a regex, it converts step text that the regex matches
/// whole: each capture group is one argument of the method (a regex without groups passes the whole text). Without
/// one, it converts any value of its parameter's type (a string, or a <c>Table</c> for table transformations).
/// With <c>Name</c>, or returning a type of the user's, it also defines a Cucumber-expression parameter type.
/// </summary>
public sealed class StepArgumentTransformation
{
    internal StepArgumentTransformation(MethodInfo method, StepArgumentTransformationAttribute attribute)
    {
        Method = method;
        Name = string.IsNullOrEmpty(attribute.Name) ? null : attribute.Name;
        Order = attribute.Order;
        Pattern = attribute.Regex is { Length: > 0 } r ? r.TrimStart('^').TrimEnd('$') : null;
        ReturnType = StepInvoker.AwaitedType(method.ReturnType);
        var parameters = method.GetParameters();
        if (ReturnType == typeof(void))
            throw new StepBindingException($"{StepDefinition.Describe(method)}: a step argument transformation returns the converted value");
        if (Pattern is null)
        {
            if (parameters.Length != 1)
                throw new StepBindingException($"{StepDefinition.Describe(method)}: a transformation without a regex takes exactly one parameter, the value to convert");
            InputType = parameters[0].ParameterType;
            return;
        }
        try
        {
            Regex = new Regex("^(?:" + Pattern + ")$", RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new StepBindingException($"{StepDefinition.Describe(method)}: the transformation's regex \"{attribute.Regex}\" is invalid: {e.Message}");
        }
        var groups = Regex.GetGroupNumbers().Length - 1;
        var expected = groups == 0 ? 1 : groups;
        if (parameters.Length != expected)
            throw new StepBindingException(
                $"{StepDefinition.Describe(method)}: the regex \"{attribute.Regex}\" has {groups} capture group(s), so the method takes {expected} parameter(s), not {parameters.Length}");
    }

    public MethodInfo Method { get; }

    /// <summary>The parameter type name it defines for Cucumber expressions, when it has one.</summary>
    public string? Name { get; }

    /// <summary>Lower first, as in Reqnroll, when several transformations could convert a value.</summary>
    public int Order { get; }

    /// <summary>The regex as written, without <c>^</c>/<c>$</c>: the parameter type's regex in Cucumber expressions.</summary>
    public string? Pattern { get; }

    public Regex? Regex { get; }

    public Type ReturnType { get; }

    /// <summary>The one parameter of a transformation without a regex.</summary>
    public Type? InputType { get; }

    public bool ConvertsTables => InputType is { } t && typeof(Table).IsAssignableFrom(t);

    public bool CanConvert(object value, Type target)
    {
        if (ReturnType != target) return false;
        if (Regex is not null) return value is string s && Regex.IsMatch(s);
        return value is Table ? ConvertsTables : !ConvertsTables && (InputType!.IsInstanceOfType(value) || value is string);
    }

    /// <summary>Calls the method (on the scenario's instance of its class, unless static); the result may be a task.</summary>
    public object? Invoke(object value, ScenarioServices? services)
    {
        object?[] args;
        var parameters = Method.GetParameters();
        if (Regex is not null && value is string text)
        {
            var match = Regex.Match(text);
            var groups = match.Groups.Cast<Group>().Skip(1).Select(g => g.Value).ToList();
            if (groups.Count == 0) groups.Add(text);
            args = groups.Select((g, i) => StepInvoker.ChangeType(g, parameters[i].ParameterType)).ToArray();
        }
        else
        {
            args = [StepInvoker.ChangeType(value, parameters[0].ParameterType)];
        }
        object? target = null;
        if (!Method.IsStatic)
        {
            if (services is null) throw new StepBindingException($"{StepDefinition.Describe(Method)} needs a scenario to convert \"{value}\"");
            target = services.Get(Method.DeclaringType!);
        }
        return StepInvoker.Call(Method, target, args);
    }

    public override string ToString() => $"{StepDefinition.Describe(Method)}{(Pattern is null ? "" : $" /{Pattern}/")}";
}
