using HilRig.Engine.Runtime;
using System.Reflection;
using HilRig.Engine.Tags;

namespace HilRig.Engine.Bindings;

/// <summary>
/// Every step definition, hook and custom parameter type found on <see cref="BindingAttribute"/> classes
/// of the given assemblies. Built once per run; declaration problems are collected and reported together.
/// </summary>
public sealed class BindingRegistry
{
    private readonly List<StepDefinition> _steps = new();
    private readonly List<HookDefinition> _hooks = new();

    private BindingRegistry()
    {
    }

    public ParameterTypeRegistry ParameterTypes { get; } = new();

    public IReadOnlyList<StepDefinition> Steps => _steps;

    public IReadOnlyList<HookDefinition> Hooks => _hooks;

    public static BindingRegistry Build(IEnumerable<Assembly> assemblies) =>
        Build(assemblies.Distinct().SelectMany(a => a.GetTypes()).Where(t => t.GetCustomAttribute<BindingAttribute>() is not null));

    public static BindingRegistry Build(IEnumerable<Type> bindingTypes)
    {
        var registry = new BindingRegistry();
        var problems = new List<string>();
        var types = bindingTypes.Distinct().OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        // Parameter types first: step expressions refer to them.
        foreach (var type in types)
        foreach (var method in type.GetMethods(flags))
        foreach (var attribute in method.GetCustomAttributes<ParameterTypeAttribute>())
        {
            try
            {
                registry.ParameterTypes.Add(CustomParameterType(method, attribute));
            }
            catch (BindingException e)
            {
                problems.Add(e.Message);
            }
        }

        foreach (var type in types)
        foreach (var method in type.GetMethods(flags).OrderBy(m => m.MetadataToken))
        {
            foreach (var attribute in method.GetCustomAttributes<StepDefinitionAttribute>())
            {
                try
                {
                    IStepExpression expression = RegexStepExpression.LooksLikeRegex(attribute.Expression)
                        ? new RegexStepExpression(attribute.Expression)
                        : new CucumberExpression(attribute.Expression, registry.ParameterTypes);
                    registry._steps.Add(new StepDefinition(method, expression, attribute.Kind, attribute.Summary));
                }
                catch (Exception e) when (e is BindingException or CucumberExpressionException)
                {
                    problems.Add($"{StepDefinition.Describe(method)}: {e.Message}");
                }
            }
            foreach (var attribute in method.GetCustomAttributes<HookAttribute>())
            {
                try
                {
                    var scope = attribute.Tags is null ? TagExpression.Always : TagExpression.Parse(attribute.Tags);
                    if (attribute.Kind is HookKind.BeforeRun or HookKind.AfterRun && !method.IsStatic)
                        throw new BindingException("run hooks must be static: no scenario exists yet to build their class");
                    registry._hooks.Add(new HookDefinition(attribute.Kind, method, scope, attribute.Tags, attribute.Order));
                }
                catch (Exception e) when (e is BindingException or TagExpressionException)
                {
                    problems.Add($"{StepDefinition.Describe(method)}: {e.Message}");
                }
            }
        }
        if (problems.Count > 0) throw new BindingException(string.Join(Environment.NewLine, problems));
        return registry;
    }

    /// <summary>Every step definition whose expression matches the text; more than one means ambiguous.</summary>
    public IReadOnlyList<StepMatch> Match(string text)
    {
        var matches = new List<StepMatch>();
        foreach (var step in _steps)
        {
            var args = step.Expression.Match(text);
            if (args is not null) matches.Add(new StepMatch(step, args));
        }
        return matches;
    }

    /// <summary>Hooks of one kind that apply to the tags, in execution order.</summary>
    public IEnumerable<HookDefinition> HooksFor(HookKind kind, IReadOnlyCollection<string> tags)
    {
        var hooks = _hooks.Where(h => h.Kind == kind && h.AppliesTo(tags));
        // After-hooks unwind in reverse, as Cucumber does, so setup and teardown nest.
        return kind is HookKind.AfterRun or HookKind.AfterScenario or HookKind.AfterStep
            ? hooks.OrderByDescending(h => h.Order)
            : hooks.OrderBy(h => h.Order);
    }

    private static ParameterType CustomParameterType(MethodInfo method, ParameterTypeAttribute attribute)
    {
        var parameters = method.GetParameters();
        if (parameters.Length != 1 || parameters[0].ParameterType != typeof(string) || method.ReturnType == typeof(void))
            throw new BindingException($"{StepDefinition.Describe(method)}: a parameter type method takes one string and returns the value");
        if (string.IsNullOrEmpty(attribute.Name))
            throw new BindingException($"{StepDefinition.Describe(method)}: a parameter type needs a name");
        try
        {
            _ = new System.Text.RegularExpressions.Regex(attribute.Regex);
        }
        catch (ArgumentException e)
        {
            throw new BindingException($"{StepDefinition.Describe(method)}: regex of {{{attribute.Name}}} is invalid: {e.Message}");
        }
        return new ParameterType(attribute.Name, [attribute.Regex], method.ReturnType, (text, services) =>
        {
            object? target = null;
            if (!method.IsStatic)
            {
                if (services is null) throw new BindingException($"{{{attribute.Name}}} needs a scenario to convert \"{text}\"");
                target = services.Get(method.DeclaringType!);
            }
            try
            {
                return method.Invoke(target, [text]);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                throw;
            }
        }, attribute.UseForSnippets);
    }
}

/// <summary>A step definition that matches a step's text, with the matched arguments.</summary>
public sealed record StepMatch(StepDefinition Definition, IReadOnlyList<StepArgumentMatch> Arguments);
