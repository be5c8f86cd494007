using Reqnroll;

namespace HilRig.Engine.Bindings;

/// <summary>
/// Where our runtime and Reqnroll's part: which of Reqnroll's types a binding may ask for, and the wording of the
/// load-time message when a binding uses a Reqnroll feature we do not run, so it never fails later, mid-run.
/// </summary>
internal static class ReqnrollSupport
{
    /// <summary>Reqnroll types the runtime provides to constructors and hook parameters (see ReqnrollContexts).</summary>
    private static readonly HashSet<Type> Provided =
    [
        typeof(ScenarioContext), typeof(IScenarioContext), typeof(FeatureContext), typeof(IFeatureContext), typeof(IReqnrollOutputHelper),
    ];

    public static IEnumerable<string> CheckBindingClass(Type type)
    {
        if (type.IsAbstract && type.IsSealed) yield break; // a static class: only static bindings
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null) yield break;
        foreach (var parameter in constructor.GetParameters())
        {
            string? problem = null;
            try
            {
                CheckInjectable(parameter.ParameterType, "its constructor");
            }
            catch (StepBindingException e)
            {
                problem = $"{type.Name}: {e.Message}";
            }
            if (problem is not null) yield return problem;
        }
    }

    /// <summary>Throws when <paramref name="type"/> is a Reqnroll runtime type that only Reqnroll's own container provides.</summary>
    public static void CheckInjectable(Type type, string where)
    {
        if (type.Assembly != typeof(BindingAttribute).Assembly || Provided.Contains(type)) return;
        throw new StepBindingException(Unsupported($"{where} asks for Reqnroll's {type.Name}",
            "HilRig provides ScenarioContext, FeatureContext, IReqnrollOutputHelper and any context class of yours (context injection)"));
    }

    public static string Unsupported(string feature, string? hint) =>
        $"{feature}: not supported by HilRig's runtime (it runs Reqnroll's binding attributes, not Reqnroll itself)" + (hint is null ? "" : $"; {hint}");

    /// <summary>An attribute as it is written in source, e.g. <c>[BeforeScenario("@a and")]</c>.</summary>
    public static string Describe(Attribute attribute)
    {
        var name = attribute.GetType().Name;
        if (name.EndsWith("Attribute", StringComparison.Ordinal)) name = name[..^"Attribute".Length];
        var arguments = attribute switch
        {
            StepDefinitionBaseAttribute step => step.Expression is null ? "" : Quote(step.Expression),
            HookAttribute hook => string.Join(", ", (hook.Tags ?? []).Select(Quote)),
            ScopeAttribute scope => string.Join(", ", new[]
            {
                scope.Tag is null ? null : $"Tag = {Quote(scope.Tag)}", scope.Feature is null ? null : $"Feature = {Quote(scope.Feature)}",
                scope.Scenario is null ? null : $"Scenario = {Quote(scope.Scenario)}",
            }.Where(p => p is not null)),
            StepArgumentTransformationAttribute t => t.Regex is null ? "" : Quote(t.Regex),
            _ => "",
        };
        return arguments.Length == 0 ? $"[{name}]" : $"[{name}({arguments})]";
    }

    private static string Quote(string? text) => text is null ? "null" : "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
