using System.Text.RegularExpressions;
using Gherkin;
using Gherkin.Ast;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// Compiles a Gherkin document into pickles the way Cucumber does: Feature then Rule Backgrounds
/// before each scenario's steps, one pickle per Examples row with <c>&lt;placeholders&gt;</c> substituted
/// in names, step text, tables and doc strings, and tags inherited Feature → Rule → Scenario → Examples.
/// Gherkin 43's own compiler needs Cucumber.Messages, which does not restore here.
/// </summary>
public static partial class PickleCompiler
{
    public static IReadOnlyList<Pickle> Compile(FeatureDocument document)
    {
        var feature = document.Feature;
        if (feature is null) return [];
        var pickles = new List<Pickle>();
        var context = new Context(document.Uri, feature.Name, feature.Language, TagNames(feature.Tags));
        var featureBackground = new List<Step>();
        foreach (var child in feature.Children)
        {
            switch (child)
            {
                case Background background:
                    featureBackground.AddRange(background.Steps);
                    break;
                case Scenario scenario:
                    CompileScenario(context, null, [], featureBackground, scenario, pickles);
                    break;
                case Rule rule:
                    CompileRule(context, featureBackground, rule, pickles);
                    break;
            }
        }
        return pickles;
    }

    private static void CompileRule(Context context, List<Step> featureBackground, Rule rule, List<Pickle> pickles)
    {
        var background = new List<Step>(featureBackground);
        foreach (var child in rule.Children)
        {
            switch (child)
            {
                case Background ruleBackground:
                    background.AddRange(ruleBackground.Steps);
                    break;
                case Scenario scenario:
                    CompileScenario(context, rule.Name, TagNames(rule.Tags), background, scenario, pickles);
                    break;
            }
        }
    }

    private static void CompileScenario(
        Context context, string? ruleName, IReadOnlyList<string> ruleTags, List<Step> background, Scenario scenario, List<Pickle> pickles)
    {
        var inherited = context.FeatureTags.Concat(ruleTags).Concat(TagNames(scenario.Tags)).ToList();
        var examples = scenario.Examples.ToList();
        if (examples.Count == 0)
        {
            var steps = CompileSteps(background, scenario.Steps, NoValues);
            pickles.Add(new Pickle(context.Uri, context.FeatureName, ruleName, scenario.Name, scenario.Location.Line,
                scenario.Location.Line, Distinct(inherited), steps, context.Language, null));
            return;
        }

        foreach (var table in examples)
        {
            if (table.TableHeader is null) continue;
            var header = table.TableHeader.Cells.Select(c => c.Value).ToList();
            if (header.GroupBy(h => h).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                var second = table.TableHeader.Cells.Where(c => c.Value == twice.Key).Skip(1).First();
                throw new FeatureParseException([new FeatureParseError(context.Uri, second.Location.Line, second.Location.Column,
                    $"the Examples table names the column <{twice.Key}> twice; each placeholder needs one column")]);
            }
            var tags = Distinct(inherited.Concat(TagNames(table.Tags)));
            var index = 0;
            foreach (var row in table.TableBody)
            {
                index++;
                var values = header.Zip(row.Cells.Select(c => c.Value), (h, v) => new KeyValuePair<string, string>(h, v)).ToList();
                var map = values.ToDictionary(v => v.Key, v => v.Value);
                var steps = CompileSteps(background, scenario.Steps, map);
                pickles.Add(new Pickle(context.Uri, context.FeatureName, ruleName, Substitute(scenario.Name, map), row.Location.Line,
                    scenario.Location.Line, tags, steps, context.Language,
                    new ExampleRow(string.IsNullOrWhiteSpace(table.Name) ? null : table.Name, index, values), scenario.Name));
            }
        }
    }

    private static readonly IReadOnlyDictionary<string, string> NoValues = new Dictionary<string, string>();

    private static List<PickleStep> CompileSteps(
        IEnumerable<Step> background, IEnumerable<Step> scenarioSteps, IReadOnlyDictionary<string, string> values)
    {
        var result = new List<PickleStep>();
        var kind = StepKind.Unknown;
        foreach (var step in background)
            result.Add(CompileStep(step, values, fromBackground: true, ref kind));
        // A scenario's first And/But does not continue the background's kind.
        kind = StepKind.Unknown;
        foreach (var step in scenarioSteps)
            result.Add(CompileStep(step, values, fromBackground: false, ref kind));
        return result;
    }

    private static PickleStep CompileStep(Step step, IReadOnlyDictionary<string, string> values, bool fromBackground, ref StepKind previous)
    {
        var kind = step.KeywordType switch
        {
            StepKeywordType.Context => StepKind.Context,
            StepKeywordType.Action => StepKind.Action,
            StepKeywordType.Outcome => StepKind.Outcome,
            _ => previous,
        };
        previous = kind;
        StepArgument? argument = null;
        if (step.DataTable is { } table)
        {
            var rows = table.Rows.Select(r => (IReadOnlyList<string>)r.Cells.Select(c => Substitute(c.Value, values)).ToList()).ToList();
            argument = new DataTable(table.Location.Line, rows);
        }
        else if (step.DocString is { } doc)
        {
            argument = new DocString(doc.Location.Line, Substitute(doc.Content, values),
                string.IsNullOrEmpty(doc.ContentType) ? null : Substitute(doc.ContentType, values));
        }
        return new PickleStep(step.Keyword, kind, Substitute(step.Text, values), step.Location.Line, argument, fromBackground);
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        values.Count == 0 ? text : Placeholder().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static IReadOnlyList<string> TagNames(IEnumerable<Tag> tags) => tags.Select(t => t.Name).ToList();

    private static IReadOnlyList<string> Distinct(IEnumerable<string> tags) => tags.Distinct(StringComparer.Ordinal).ToList();

    [GeneratedRegex("<([^<>]+)>")]
    private static partial Regex Placeholder();

    private sealed record Context(string Uri, string FeatureName, string Language, IReadOnlyList<string> FeatureTags);
}
