using Io.Cucumber.Messages.Types;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// The nodes of a Gherkin document by id: a pickle names its scenario, Examples row and steps only by AST node id
/// (Cucumber Messages' model), and a report needs their lines, keywords, Rule and Examples table back.
/// </summary>
internal sealed class GherkinIndex
{
    private readonly Dictionary<string, (Scenario Scenario, Rule? Rule)> _scenarios = new();
    private readonly Dictionary<string, (Step Step, bool FromBackground)> _steps = new();
    private readonly Dictionary<string, (Examples Examples, int Index)> _rows = new();

    public GherkinIndex(GherkinDocument document)
    {
        if (document.Feature is not { } feature) return;
        foreach (var child in feature.Children)
        {
            if (child.Background is { } background) AddBackground(background);
            if (child.Scenario is { } scenario) AddScenario(scenario, null);
            if (child.Rule is { } rule)
            {
                foreach (var ruleChild in rule.Children)
                {
                    if (ruleChild.Background is { } ruleBackground) AddBackground(ruleBackground);
                    if (ruleChild.Scenario is { } ruleScenario) AddScenario(ruleScenario, rule);
                }
            }
        }
    }

    public (Scenario Scenario, Rule? Rule) Scenario(string id) => _scenarios[id];

    public (Step Step, bool FromBackground) Step(string id) => _steps[id];

    public bool TryGetRow(string id, out (Examples Examples, int Index) row) => _rows.TryGetValue(id, out row);

    public IEnumerable<(Scenario Scenario, Rule? Rule)> Scenarios => _scenarios.Values;

    private void AddBackground(Background background)
    {
        foreach (var step in background.Steps) _steps[step.Id] = (step, true);
    }

    private void AddScenario(Scenario scenario, Rule? rule)
    {
        _scenarios[scenario.Id] = (scenario, rule);
        foreach (var step in scenario.Steps) _steps[step.Id] = (step, false);
        foreach (var examples in scenario.Examples)
        {
            var index = 0;
            foreach (var row in examples.TableBody) _rows[row.Id] = (examples, ++index);
        }
    }
}
