using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;
using HilRig.Engine.Bindings;
using HilRig.Engine.Gherkin;
using Reqnroll;

namespace HilRig.Engine.Runtime;

/// <summary>
/// Turns a step match into method arguments (parameter types, Reqnroll step argument transformations, tables),
/// calls the method and awaits whatever it returns.
/// </summary>
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
                args[i] = cancellation;
            else if (textIndex < definition.ArgumentCount)
                args[i] = await ConvertArgumentAsync(match.Arguments[textIndex++], p, services, registry);
            else
                args[i] = await StepArgumentForAsync(step, p, services, registry);
        }
        if (definition.TakesStepArgument is false && step.Argument is not null)
            throw new StepBindingException(
                $"the step has a {(step.Argument is StepTable ? "data table" : "doc string")} but {definition.MethodName} takes no parameter for it");
        var target = method.IsStatic ? null : services.Get(method.DeclaringType!);
        await InvokeMethodAsync(method, target, args);
    }

    public static async Task InvokeMethodAsync(MethodInfo method, object? target, object?[] args) => await AwaitAsync(Call(method, target, args));

    /// <summary>Calls a binding method, rethrowing what it threw rather than reflection's wrapper.</summary>
    public static object? Call(MethodInfo method, object? target, object?[] args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Awaits a Task or ValueTask a binding returned and gives its result (null for a plain Task); other values pass through.</summary>
    public static async Task<object?> AwaitAsync(object? value)
    {
        switch (value)
        {
            case Task task:
                await task;
                var type = task.GetType();
                return type.IsGenericType && AwaitedType(type) != typeof(void) ? type.GetProperty("Result")!.GetValue(task) : null;
            case ValueTask valueTask:
                await valueTask;
                return null;
            case not null when value.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(ValueTask<>):
                return await AwaitAsync(t.GetMethod("AsTask")!.Invoke(value, null));
            default:
                return value;
        }
    }

    /// <summary>The type a method's result has once awaited: T for Task&lt;T&gt; and ValueTask&lt;T&gt;, void for Task and ValueTask.</summary>
    public static Type AwaitedType(Type type)
    {
        if (type == typeof(Task) || type == typeof(ValueTask)) return typeof(void);
        if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
            return type.GetGenericArguments()[0];
        // Task<T> runs as a subclass (AsyncStateMachineBox) at run time: look at its base types too.
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Task<>)) return t.GetGenericArguments()[0];
        return type;
    }

    /// <summary>A Reqnroll <c>DataTable</c> of a step's table: the first row is the header, as Reqnroll and its Assist helpers expect.</summary>
    public static DataTable ToDataTable(StepTable table)
    {
        var result = new DataTable(table.Rows[0].ToArray());
        foreach (var row in table.Rows.Skip(1)) result.AddRow(row.ToArray());
        return result;
    }

    private static async Task<object?> StepArgumentForAsync(PickleStep step, ParameterInfo p, ScenarioServices services, BindingRegistry registry)
    {
        var type = p.ParameterType;
        var method = StepDefinition.Describe((MethodInfo)p.Member);
        switch (step.Argument)
        {
            case StepTable table when type == typeof(StepTable):
                return table;
            case StepTable table:
                var dataTable = ToDataTable(table);
                if (type.IsInstanceOfType(dataTable)) return dataTable;
                if (registry.TransformationFor(dataTable, type) is { } tableTransformation)
                    return await AwaitAsync(tableTransformation.Invoke(dataTable, services));
                throw new StepBindingException($"{method} expects a {type.Name} but the step has a data table, and no table transformation returns {type.Name}");
            case DocString doc when type == typeof(DocString):
                return doc;
            case DocString doc when type == typeof(string):
                return doc.Content;
            case DocString doc:
                if (registry.TransformationFor(doc.Content, type) is { } textTransformation)
                    return await AwaitAsync(textTransformation.Invoke(doc.Content, services));
                throw new StepBindingException($"{method} expects a {type.Name} but the step has a doc string, and no transformation makes one from text");
            default:
                throw new StepBindingException($"{method} expects a {(typeof(Table).IsAssignableFrom(type) || type == typeof(StepTable) ? "data table" : "doc string")} under the step, but there is none");
        }
    }

    private static async Task<object?> ConvertArgumentAsync(StepArgumentMatch argument, ParameterInfo p, ScenarioServices services, BindingRegistry registry)
    {
        var target = p.ParameterType;
        if (argument.Index < 0) return target.IsValueType ? Activator.CreateInstance(target) : null;
        try
        {
            // Reqnroll's precedence: a custom parameter type is a transformation already; otherwise no conversion when the
            // text is what the method takes, then a step argument transformation for the method's type (matched against
            // the text, unquoted for {string}), then the built-in type's or standard conversion.
            if (argument.Type is { IsBuiltIn: false } custom) return ChangeType(await AwaitAsync(custom.Transform(argument, services)), target);
            var builtIn = argument.Type is { } type ? type.Transform(argument, services) : argument.Text;
            var text = argument.Type?.Name == CucumberExpressions.ParameterTypeConstants.StringParameterName ? (string)builtIn! : argument.Text;
            if (target == typeof(string) || target == typeof(object)) return builtIn;
            if (registry.TransformationFor(text, target) is { } transformation) return await AwaitAsync(transformation.Invoke(text, services));
            return ChangeType(builtIn, target);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException or ArgumentException)
        {
            throw new StepBindingException($"cannot convert \"{argument.Text}\" to {target.Name} for parameter '{p.Name}': {e.Message}", e);
        }
    }

    public static object? ChangeType(object? value, Type target)
    {
        if (value is null || target.IsInstanceOfType(value)) return value;
        var underlying = Nullable.GetUnderlyingType(target) ?? target;
        if (underlying.IsEnum && value is string name) return ParseEnum(underlying, name);
        if (underlying == typeof(TimeSpan) && value is string span) return DurationParser.Parse(span);
        if (underlying == typeof(Guid) && value is string guid) return Guid.Parse(guid);
        if (value is IConvertible && typeof(IConvertible).IsAssignableFrom(underlying))
            return Convert.ChangeType(value, underlying, CultureInfo.InvariantCulture);
        var converter = TypeDescriptor.GetConverter(underlying);
        if (value is string s && converter.CanConvertFrom(typeof(string))) return converter.ConvertFromInvariantString(s);
        throw new InvalidCastException($"no conversion from {value.GetType().Name} to {target.Name}");
    }

    /// <summary>An enum value by name, ignoring case, spaces and hyphens ("power loss" and "power-loss" are PowerLoss).</summary>
    public static object ParseEnum(Type type, string name) => Enum.Parse(type, name.Replace(" ", "").Replace("-", ""), ignoreCase: true);
}
