using System.Text.Json;
using HilRig.Engine.Bindings;
using HilRig.Steps.Hosting;
using NUnit.Framework;
using Reqnroll.Bindings.Provider;

namespace HilRig.Scenarios;

/// <summary>
/// What a Reqnroll IDE extension sees: it calls Reqnroll's own <see cref="BindingProviderService.DiscoverBindings"/> on
/// this project with its reqnroll.json. Every step definition HilRig runs must be in that answer, so "go to step
/// definition" and step completion work on the feature files.
/// </summary>
public sealed class IdeDiscoveryTests
{
    [Test]
    public void ReqnrollsOwnDiscovery_FindsEveryStepDefinitionOfTheStepLibrary()
    {
        var configuration = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reqnroll.json"));
        var json = BindingProviderService.DiscoverBindings(typeof(IdeDiscoveryTests).Assembly, configuration);
        var discovered = JsonDocument.Parse(json).RootElement;
        var expressions = discovered.GetProperty("StepDefinitions").EnumerateArray()
            .Select(s => s.GetProperty("Expression").GetString()).ToHashSet();
        var ours = BindingRegistry.Build(ScenarioHost.BindingAssemblies()).Steps.Select(s => s.Expression.Source).ToList();
        Assert.That(ours, Has.Count.GreaterThan(50));
        Assert.That(ours.Where(e => !expressions.Contains(e)), Is.Empty, $"Reqnroll's discovery answered:\n{json[..Math.Min(json.Length, 2000)]}");
        var errors = discovered.GetProperty("StepDefinitions").EnumerateArray()
            .Where(s => s.TryGetProperty("Error", out var e) && e.ValueKind == JsonValueKind.String)
            .Select(s => $"{s.GetProperty("Expression").GetString()}: {s.GetProperty("Error").GetString()}").ToList();
        Assert.That(errors, Is.Empty, "no step definition Reqnroll could not read (e.g. an unknown {board})");
    }
}
