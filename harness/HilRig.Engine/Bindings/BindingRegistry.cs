using System.Reflection;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Tags;
using Reqnroll;
using Reqnroll.Bindings.CucumberExpressions;
using CucumberExpressionException = CucumberExpressions.CucumberExpressionException;
using UndefinedParameterTypeException = CucumberExpressions.UndefinedParameterTypeException;

namespace HilRig.Engine.Bindings;

/// <summary>
/// Every step definition, hook and step argument transformation found on Reqnroll <c>[Binding]</c> classes of the
/// given assemblies, read from Reqnroll's own attributes and run by our runtime. Built once per run; every problem
/// (a bad expression, an invalid tag expression, a Reqnroll feature we do not run) is collected and reported
/// together, naming the binding and the attribute.
/// </summary>
public sealed class BindingRegistry
{
    private readonly List<StepDefinition> _steps = new();
    private readonly List<HookDefinition> _hooks = new();
    private readonly List<StepArgumentTransformation> _transformations = new();

    private BindingRegistry()
    {
    }

    public ParameterTypeRegistry ParameterTypes { get; } = new();

    public IReadOnlyList<StepDefinition> Steps => _steps;

    public IReadOnlyList<HookDefinition> Hooks => _hooks;

    public IReadOnlyList<StepArgumentTransformation> Transformations => _transformations;

    public static BindingRegistry Build(IEnumerable<Assembly> assemblies) =>
        Build(assemblies.Distinct().SelectMany(a => a.GetTypes()).Where(IsBinding));

    /// <summary>Reqnroll's rule: a class with <c>[Binding]</c> (or an attribute deriving from it).</summary>
    public static bool IsBinding(Type type) => type.IsClass && type.GetCustomAttribute<BindingAttribute>(inherit: true) is not null;

    public static BindingRegistry Build(IEnumerable<Type> bindingTypes)
    {
        var registry = new BindingRegistry();
        var problems = new List<string>();
        var types = bindingTypes.Distinct().OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
        const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var methods = types.SelectMany(t => t.GetMethods(flags).OrderBy(m => m.MetadataToken)).ToList();

        foreach (var type in types) problems.AddRange(ReqnrollSupport.CheckBindingClass(type));

        // Transformations first: they define parameter types that step expressions name.
        foreach (var method in methods)
        foreach (var attribute in method.GetCustomAttributes<StepArgumentTransformationAttribute>())
            Collect(problems, method, attribute, () => registry._transformations.Add(new StepArgumentTransformation(method, attribute)));
        var byOrder = registry._transformations.OrderBy(t => t.Order).ToList(); // stable: declaration order breaks ties
        registry._transformations.Clear();
        registry._transformations.AddRange(byOrder);
        problems.AddRange(registry.DefineParameterTypes());
        foreach (var enumType in methods.Where(HasStepAttribute).SelectMany(m => m.GetParameters()).Select(p => p.ParameterType).Where(t => t.IsEnum))
            registry.ParameterTypes.AddEnum(enumType);

        var detector = new CucumberExpressionDetector();
        foreach (var method in methods)
        {
            var classScopes = ScopesOf(method.DeclaringType!, problems, method);
            var methodScopes = classScopes.Concat(ScopesOf(method, problems, method)).ToList();
            var summary = method.GetCustomAttribute<StepSummaryAttribute>()?.Summary;
            foreach (var attribute in method.GetCustomAttributes<Attribute>())
            {
                switch (attribute)
                {
                    case StepDefinitionBaseAttribute step:
                        Collect(problems, method, attribute, () => registry._steps.Add(registry.StepFor(method, step, summary, methodScopes, detector)));
                        break;
                    case HookAttribute hook:
                        Collect(problems, method, attribute, () => registry._hooks.Add(HookFor(method, hook, methodScopes)));
                        break;
                }
            }
        }
        if (problems.Count > 0) throw new StepBindingException(string.Join(Environment.NewLine, problems));

        var ids = new StableIdGenerator("bindings");
        foreach (var step in registry._steps) step.Id = ids.GetNewId();
        for (var i = 0; i < registry._hooks.Count; i++) registry._hooks[i] = registry._hooks[i] with { Id = ids.GetNewId() };
        return registry;
    }

    /// <summary>
    /// The step definitions that bind a step, as Reqnroll chooses them: those whose expression matches and whose
    /// <c>[Scope]</c> holds, the most specific scope winning; then those written for the step's keyword, or — as in
    /// Cucumber, when none is — any keyword; then those whose parameters fit the step's table or doc string.
    /// More than one left means ambiguous.
    /// </summary>
    public IReadOnlyList<StepMatch> Match(PickleStep step, Pickle pickle, IReadOnlyCollection<string> tags)
    {
        var matches = new List<(StepMatch Match, int Score)>();
        foreach (var definition in _steps)
        {
            var args = definition.Expression.Match(step.Text);
            if (args is null) continue;
            var score = BindingScope.BestScore(definition.Scopes, pickle, tags);
            if (score >= 0) matches.Add((new StepMatch(definition, args), score));
        }
        if (matches.Count <= 1) return matches.Select(m => m.Match).ToList();
        var best = matches.Max(m => m.Score);
        var scoped = matches.Where(m => m.Score == best).Select(m => m.Match).ToList();
        var forKeyword = scoped.Where(m => step.Kind == StepKind.Unknown || m.Definition.Kinds.Contains(step.Kind)).ToList();
        if (forKeyword.Count > 0) scoped = forKeyword;
        // Overloads for the same text, one taking the table or doc string and one not: the step's argument decides.
        var fitting = scoped.Where(m => m.Definition.TakesStepArgument == step.Argument is not null).ToList();
        return fitting.Count > 0 ? fitting : scoped;
    }

    /// <summary>Matches ignoring scopes and tags: what <c>hilrig steps</c> and tests of expressions need.</summary>
    public IReadOnlyList<StepMatch> Match(string text) =>
        _steps.Select(d => (d, args: d.Expression.Match(text))).Where(x => x.args is not null).Select(x => new StepMatch(x.d, x.args!)).ToList();

    /// <summary>Hooks of one kind that apply, in Reqnroll's order: lower <c>Order</c> first, for before and after hooks alike.</summary>
    public IEnumerable<HookDefinition> HooksFor(HookKind kind, Pickle? pickle, IReadOnlyCollection<string> tags) =>
        _hooks.Where(h => h.Kind == kind && h.AppliesTo(pickle, tags)).OrderBy(h => h.Order);

    /// <summary>The transformation that converts a value to <paramref name="target"/>, if one does (lowest Order first).</summary>
    public StepArgumentTransformation? TransformationFor(object value, Type target) =>
        _transformations.FirstOrDefault(t => t.CanConvert(value, target));

    /// <summary>Whether a step method's extra parameter can receive a data table or doc string.</summary>
    public bool ConvertsStepArgumentTo(Type type) =>
        type == typeof(string) || type == typeof(DocString) || type == typeof(StepTable) || typeof(Table).IsAssignableFrom(type) ||
        _transformations.Any(t => t.ReturnType == type && (t.ConvertsTables || t.InputType == typeof(string)));

    private StepDefinition StepFor(MethodInfo method, StepDefinitionBaseAttribute attribute, string? summary, List<BindingScope> scopes,
        CucumberExpressionDetector detector)
    {
        if (string.IsNullOrEmpty(attribute.Expression))
            throw new StepBindingException(ReqnrollSupport.Unsupported("a step definition without an expression (Reqnroll's method-name matching)",
                "write the expression in the attribute"));
        var regex = attribute.ExpressionType switch
        {
            ExpressionType.RegularExpression => true,
            ExpressionType.CucumberExpression => false,
            _ => !detector.IsCucumberExpression(attribute.Expression),
        };
        IStepExpression expression;
        try
        {
            expression = regex ? new RegexStepExpression(attribute.Expression) : new CucumberStepExpression(attribute.Expression, ParameterTypes);
        }
        catch (UndefinedParameterTypeException e)
        {
            throw new StepBindingException($"undefined parameter type {{{e.UndefinedParameterTypeName}}}; known: " +
                $"{string.Join(", ", ParameterTypes.Names.Select(n => "{" + n + "}"))}\n{Indent(e.Message)}");
        }
        catch (CucumberExpressionException e)
        {
            throw new StepBindingException($"invalid Cucumber expression\n{Indent(e.Message)}");
        }
        return new StepDefinition(method, expression, StepDefinition.KindsOf(attribute), summary, scopes, ConvertsStepArgumentTo);
    }

    private static HookDefinition HookFor(MethodInfo method, HookAttribute attribute, List<BindingScope> scopes)
    {
        var kind = attribute switch
        {
            BeforeTestRunAttribute => HookKind.BeforeRun,
            AfterTestRunAttribute => HookKind.AfterRun,
            BeforeFeatureAttribute => HookKind.BeforeFeature,
            AfterFeatureAttribute => HookKind.AfterFeature,
            BeforeScenarioAttribute => HookKind.BeforeScenario,
            AfterScenarioAttribute => HookKind.AfterScenario,
            BeforeStepAttribute => HookKind.BeforeStep,
            AfterStepAttribute => HookKind.AfterStep,
            BeforeScenarioBlockAttribute or AfterScenarioBlockAttribute => throw new StepBindingException(ReqnrollSupport.Unsupported(
                "scenario-block hooks", "use [BeforeStep]/[AfterStep] and the step's keyword (a PickleStep parameter) instead")),
            _ => throw new StepBindingException(ReqnrollSupport.Unsupported($"the hook attribute {attribute.GetType().Name}", null)),
        };
        if (kind is HookKind.BeforeRun or HookKind.AfterRun or HookKind.BeforeFeature or HookKind.AfterFeature && !method.IsStatic)
            throw new StepBindingException("run and feature hooks must be static (as in Reqnroll): no scenario exists yet to build their class");
        var tagTexts = attribute.Tags?.Where(t => !string.IsNullOrWhiteSpace(t)).ToList() ?? [];
        var tags = tagTexts.Count == 0 ? TagExpression.Always : tagTexts.Select(ParseTags).Aggregate((a, b) => new TagExpression.Or(a, b));
        foreach (var parameter in method.GetParameters()) ReqnrollSupport.CheckInjectable(parameter.ParameterType, "a hook parameter");
        return new HookDefinition(kind, method, tags, tagTexts.Count == 0 ? null : string.Join(" or ", tagTexts), scopes, attribute.Order);
    }

    /// <summary>A tag expression in a hook or scope; a bare name (<c>"web"</c>) is the tag <c>@web</c>, as Reqnroll reads it.</summary>
    internal static TagExpression ParseTags(string text)
    {
        var trimmed = text.Trim();
        var bareName = trimmed.Length > 0 && trimmed[0] != '@' && !trimmed.Any(c => char.IsWhiteSpace(c) || c is '(' or ')');
        return TagExpression.Parse(bareName ? "@" + trimmed : trimmed);
    }

    private static List<BindingScope> ScopesOf(MemberInfo member, List<string> problems, MethodInfo reportAs)
    {
        var scopes = new List<BindingScope>();
        foreach (var scope in member.GetCustomAttributes<ScopeAttribute>())
            Collect(problems, reportAs, scope, () => scopes.Add(new BindingScope(
                scope.Tag is { Length: > 0 } tag ? ParseTags(tag) : null, scope.Tag is { Length: > 0 } ? scope.Tag : null, scope.Feature, scope.Scenario)));
        return scopes;
    }

    /// <summary>
    /// Parameter types from transformations: one per <c>Name</c> (or, without a Name, per user type returned, named by its
    /// full name and found by its short one), matching any of its transformations' regexes, converting with the first
    /// (lowest Order) whose regex matches the argument.
    /// </summary>
    private List<string> DefineParameterTypes()
    {
        var problems = new List<string>();
        var named = _transformations
            .Select(t => (Transformation: t, Name: t.Name ?? (IsUserType(t.ReturnType) && !t.ConvertsTables ? t.ReturnType.FullName : null)))
            .Where(x => x.Name is not null)
            .GroupBy(x => x.Name!, StringComparer.Ordinal);
        foreach (var group in named)
        {
            var members = group.Select(x => x.Transformation).ToList();
            try
            {
                if (members.Select(t => t.ReturnType).Distinct().Count() > 1)
                    throw new StepBindingException($"parameter type {{{group.Key}}} is defined for several types: {string.Join(", ", members.Select(t => t.ReturnType.Name))}");
                var regexes = members.Select(t => t.Pattern ?? ".*").Distinct().ToList();
                if (regexes.Contains(".*")) regexes = [".*"];
                var snippets = members.All(t => t.Method.GetCustomAttribute<UseForSnippetsAttribute>()?.Use ?? true);
                ParameterTypes.Add(new ParameterType(group.Key, regexes, members[0].ReturnType, (argument, services) =>
                {
                    var transformation = members.FirstOrDefault(t => t.CanConvert(argument.Text, t.ReturnType))
                        ?? throw new StepBindingException($"none of the transformations of {{{group.Key}}} matches \"{argument.Text}\"");
                    return transformation.Invoke(argument.Text, services);
                }, snippets));
            }
            catch (StepBindingException e)
            {
                problems.Add($"{StepDefinition.Describe(members[0].Method)}: [StepArgumentTransformation]: {e.Message}");
            }
        }
        return problems;
    }

    private static bool IsUserType(Type type) =>
        !type.IsPrimitive && !type.IsEnum && type != typeof(string) && type != typeof(decimal) && type != typeof(object) &&
        type != typeof(DateTime) && type != typeof(Guid) && type != typeof(TimeSpan) && type != typeof(DateTimeOffset);

    private static bool HasStepAttribute(MethodInfo method) => method.GetCustomAttributes<StepDefinitionBaseAttribute>().Any();

    /// <summary>Runs one declaration's check, turning its failure into a line naming the binding and the attribute.</summary>
    private static void Collect(List<string> problems, MethodInfo method, Attribute attribute, Action declare)
    {
        try
        {
            declare();
        }
        catch (Exception e) when (e is StepBindingException or TagExpressionException)
        {
            problems.Add($"{StepDefinition.Describe(method)}: {ReqnrollSupport.Describe(attribute)}: {e.Message}");
        }
    }

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => "    " + l));
}

/// <summary>A step definition that matches a step's text, with the matched arguments.</summary>
public sealed record StepMatch(StepDefinition Definition, IReadOnlyList<StepArgumentMatch> Arguments);
