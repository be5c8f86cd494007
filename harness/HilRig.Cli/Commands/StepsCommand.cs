using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Engine.Bindings;
using HilRig.Steps.Hosting;

namespace HilRig.Cli.Commands;

/// <summary><c>hilrig steps</c>: every step a scenario can use, with its parameter types and a summary.</summary>
public static class StepsCommand
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var bindings = CommonOptions.Bindings();
        var command = new Command("steps", "List every step binding") { json, bindings };
        command.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var registry = BindingRegistry.Build(ScenarioHost.BindingAssemblies(Loading.BindingAssemblies(parse.GetValue(bindings))));
            var steps = registry.Steps
                .OrderBy(s => s.Method.DeclaringType?.Namespace, StringComparer.Ordinal)
                .ThenBy(s => s.Expression.Source, StringComparer.Ordinal)
                .Select(Describe)
                .ToList();
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(steps, Readable));
                return Task.FromResult(ExitCodes.Passed);
            }
            foreach (var area in steps.GroupBy(s => s.Area))
            {
                Terminal.Line($"\n{area.Key}", $"\n[bold]{Terminal.Escape(area.Key)}[/]");
                foreach (var s in area)
                {
                    Terminal.Line($"  {s.Keyword} {s.Expression}", $"  [blue]{s.Keyword}[/] {Terminal.Escape(s.Expression)}");
                    if (s.Summary is not null) Terminal.Line($"      {s.Summary}", $"      [grey]{Terminal.Escape(s.Summary)}[/]");
                }
            }
            var custom = registry.ParameterTypes.Custom.Select(t => t.ToString()).Order(StringComparer.Ordinal).ToList();
            Terminal.Line($"\n{steps.Count} step(s); custom parameter types: {(custom.Count == 0 ? "none" : string.Join(", ", custom))}; " +
                          "built in: {int} {long} {byte} {short} {float} {double} {decimal} {word} {string} {}, and .NET type names ({Int32}, {DateTime}, {Guid}, enums)");
            return Task.FromResult(ExitCodes.Passed);
        }));
        return command;
    }

    private static readonly JsonSerializerOptions Readable = JsonText.Readable(StepsJson.Default);

    private static StepJson Describe(StepDefinition s)
    {
        var parameters = s.Expression is CucumberStepExpression ce
            ? ce.Parameters.Select(p => p.Name.Length == 0 ? "{}" : p.Name).ToList()
            : s.ParameterTypes.Take(s.ArgumentCount).Select(t => t.Name).ToList();
        if (s.TakesStepArgument) parameters.Add(s.ParameterTypes[^1].Name);
        var area = s.Method.DeclaringType?.Namespace?.Split('.').Last() ?? "";
        return new StepJson(s.Keyword, s.Expression.Source, s.Expression is CucumberStepExpression ? "cucumber" : "regex", parameters, s.Summary, s.MethodName, area);
    }
}

/// <summary>One step binding as <c>hilrig steps --json</c> prints it.</summary>
public sealed record StepJson(string Keyword, string Expression, string Syntax, IReadOnlyList<string> Parameters, string? Summary, string Method, string Area);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<StepJson>))]
internal sealed partial class StepsJson : JsonSerializerContext;
