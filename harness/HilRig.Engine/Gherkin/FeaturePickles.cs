using Gherkin.CucumberMessages.Pickles;
using Io.Cucumber.Messages.Types;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// Compiles a feature into pickles with Gherkin 43's own <see cref="PickleCompiler"/> (Backgrounds of the Feature and
/// Rule first, one pickle per Examples row with placeholders filled in, tags inherited Feature → Rule → Scenario →
/// Examples), then gives each the lines, Rule, Examples row and keywords that selection and reports need.
/// </summary>
public static class FeaturePickles
{
    public static IReadOnlyList<Pickle> Compile(FeatureDocument document)
    {
        if (document.Feature is not { } feature) return [];
        RejectDuplicateColumns(document);
        var compiled = new PickleCompiler(new StableIdGenerator(document.Uri + "#pickles")).Compile(document.Document);
        return compiled.Select(p => FromMessage(document, feature, p)).ToList();
    }

    private static Pickle FromMessage(FeatureDocument document, Feature feature, Io.Cucumber.Messages.Types.Pickle message)
    {
        var index = document.Index;
        var (scenario, rule) = index.Scenario(message.AstNodeIds[0]);
        ExampleRow? example = null;
        if (message.AstNodeIds.Count > 1 && index.TryGetRow(message.AstNodeIds[1], out var row))
        {
            var cells = row.Examples.TableBody[row.Index - 1].Cells;
            var values = row.Examples.TableHeader.Cells.Zip(cells, (h, v) => new KeyValuePair<string, string>(h.Value, v.Value)).ToList();
            example = new ExampleRow(string.IsNullOrWhiteSpace(row.Examples.Name) ? null : row.Examples.Name, row.Index, values);
        }
        var steps = message.Steps.Select(s => Step(index, s)).ToList();
        return new Pickle(document.Uri, feature.Name, rule?.Name, message.Name, (int)message.Location.Line, (int)scenario.Location.Line,
            message.Tags.Select(t => t.Name).ToList(), steps, message.Language, example, example is null ? null : scenario.Name)
        {
            Id = message.Id,
            Message = message,
            Document = document,
            FeatureTags = feature.Tags.Select(t => t.Name).ToList(),
            InheritedTags = feature.Tags.Concat(rule?.Tags ?? []).Select(t => t.Name).Distinct().ToList(),
        };
    }

    private static PickleStep Step(GherkinIndex index, Io.Cucumber.Messages.Types.PickleStep message)
    {
        var (step, fromBackground) = index.Step(message.AstNodeIds[0]);
        var kind = message.Type switch
        {
            PickleStepType.CONTEXT => StepKind.Context,
            PickleStepType.ACTION => StepKind.Action,
            PickleStepType.OUTCOME => StepKind.Outcome,
            _ => StepKind.Unknown,
        };
        StepArgument? argument = null;
        if (message.Argument?.DataTable is { } table && step.DataTable is { } astTable)
            argument = new StepTable((int)astTable.Location.Line, table.Rows.Select(r => (IReadOnlyList<string>)r.Cells.Select(c => c.Value).ToList()).ToList());
        else if (message.Argument?.DocString is { } doc && step.DocString is { } astDoc)
            argument = new DocString((int)astDoc.Location.Line, doc.Content, string.IsNullOrEmpty(doc.MediaType) ? null : doc.MediaType);
        return new PickleStep(step.Keyword, kind, message.Text, (int)step.Location.Line, argument, fromBackground) { Id = message.Id };
    }

    /// <summary>
    /// Gherkin's compiler fills <c>&lt;n&gt;</c> from the first of two columns named n and silently ignores the second;
    /// that is always a mistake in the table, so it is an error at the second header cell.
    /// </summary>
    private static void RejectDuplicateColumns(FeatureDocument document)
    {
        var errors = new List<FeatureParseError>();
        foreach (var (scenario, _) in document.Index.Scenarios)
        foreach (var examples in scenario.Examples)
        {
            if (examples.TableHeader is null) continue;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var cell in examples.TableHeader.Cells.Where(c => !seen.Add(c.Value)))
                errors.Add(new FeatureParseError(document.Uri, (int)cell.Location.Line, (int)(cell.Location.Column ?? 0),
                    $"the Examples table names the column <{cell.Value}> twice; each placeholder needs one column"));
        }
        if (errors.Count > 0) throw new FeatureParseException(errors);
    }
}
