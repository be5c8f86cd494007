using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary>Turns a step match into method arguments, calls the method and awaits whatever it returns.</summary>
internal static class StepInvoker
{
    public static async Task InvokeAsync(StepMatch match, PickleStep step, ScenarioServices services, BindingRegistry registry, CancellationToken cancellation)
    {
        var definition = match.Definition;
        var method = definition.Method;
        var parameters = method.GetParameters();
        var args = new object?[parameters.Length];
        var textIndex = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.ParameterType == typeof(CancellationToken))
            {
                args[i] = cancellation;
            }
            else if (textIndex < definition.ArgumentCount)
            {
                args[i] = ConvertArgument(match.Arguments[textIndex++], p, services, registry);
            }
            else
            {
                args[i] = StepArgumentFor(step, p);
            }
        }
        if (definition.TakesStepArgument is false && step.Argument is not null)
            throw new BindingException(
                $"the step has a {(step.Argument is DataTable ? "data table" : "doc string")} but {definition.MethodName} takes no parameter for it");
        var target = method.IsStatic ? null : services.Get(method.DeclaringType!);
        await InvokeMethodAsync(method, target, args);
    }

    public static async Task InvokeMethodAsync(MethodInfo method, object? target, object?[] args)
    {
        object? returned;
        try
        {
            returned = method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        switch (returned)
        {
            case Task task:
                await task;
                break;
            case ValueTask valueTask:
                await valueTask;
                break;
        }
    }

    private static object? StepArgumentFor(PickleStep step, ParameterInfo p)
    {
        return (step.Argument, p.ParameterType) switch
        {
            (DataTable table, var t) when t == typeof(DataTable) => table,
            (DocString doc, var t) when t == typeof(DocString) => doc,
            (DocString doc, var t) when t == typeof(string) => doc.Content,
            (null, _) => throw new BindingException(
                $"{StepDefinition.Describe((MethodInfo)p.Member)} expects a {(p.ParameterType == typeof(DataTable) ? "data table" : "doc string")} under the step, but there is none"),
            (var a, _) => throw new BindingException(
                $"{StepDefinition.Describe((MethodInfo)p.Member)} expects a {p.ParameterType.Name} but the step has a {(a is DataTable ? "data table" : "doc string")}"),
        };
    }

    private static object? ConvertArgument(StepArgumentMatch argument, ParameterInfo p, ScenarioServices services, BindingRegistry registry)
    {
        var target = p.ParameterType;
        if (argument.Index < 0) return target.IsValueType ? Activator.CreateInstance(target) : null;
        object? value;
        try
        {
            if (argument.Type is { } type)
            {
                value = type.Transform(argument.Text, services);
            }
            else if (registry.ParameterTypes.FindCustomFor(target) is { } custom)
            {
                return custom.Transform(argument.Text, services);
            }
            else
            {
                value = argument.Text;
            }
            return ChangeType(value, target);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException)
        {
            throw new BindingException($"cannot convert \"{argument.Text}\" to {target.Name} for parameter '{p.Name}': {e.Message}", e);
        }
    }

    private static object? ChangeType(object? value, Type target)
    {
        if (value is null || target.IsInstanceOfType(value)) return value;
        var underlying = Nullable.GetUnderlyingType(target) ?? target;
        if (underlying.IsEnum && value is string name) return Enum.Parse(underlying, name.Replace(" ", "").Replace("-", ""), ignoreCase: true);
        if (underlying == typeof(TimeSpan) && value is string span) return DurationParser.Parse(span);
        if (value is IConvertible && typeof(IConvertible).IsAssignableFrom(underlying))
            return Convert.ChangeType(value, underlying, CultureInfo.InvariantCulture);
        var converter = TypeDescriptor.GetConverter(underlying);
        if (value is string s && converter.CanConvertFrom(typeof(string))) return converter.ConvertFromInvariantString(s);
        throw new InvalidCastException($"no conversion from {value.GetType().Name} to {target.Name}");
    }
}
