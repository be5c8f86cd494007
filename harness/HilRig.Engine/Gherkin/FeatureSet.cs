using Io.Cucumber.Messages.Types;
using HilRig.Engine.Tags;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// Loads feature files from paths and directories, compiles them into pickles and applies line and tag
/// selection. Every file is parsed before anything runs: one bad file fails the whole load with every
/// error found, so a run never starts on a half-readable suite.
/// </summary>
public sealed class FeatureSet
{
    private FeatureSet(IReadOnlyList<FeatureDocument> documents, IReadOnlyList<Pickle> pickles)
    {
        Documents = documents;
        Pickles = pickles;
    }

    public IReadOnlyList<FeatureDocument> Documents { get; }

    public IReadOnlyList<Pickle> Pickles { get; }

    public static FeatureSet Load(IEnumerable<string> arguments, TagExpression? filter = null)
    {
        var selections = arguments.Select(FeatureSelection.Parse).ToList();
        var errors = new List<FeatureParseError>();
        var documents = new List<FeatureDocument>();
        var pickles = new List<Pickle>();
        foreach (var selection in selections)
        {
            foreach (var (path, uri) in Expand(selection.Path, errors))
            {
                FeatureDocument document;
                try
                {
                    document = FeatureParser.ParseFile(path, uri);
                }
                catch (FeatureParseException e)
                {
                    errors.AddRange(e.Errors);
                    continue;
                }
                documents.Add(document);
                IReadOnlyList<Pickle> compiled;
                try
                {
                    compiled = FeaturePickles.Compile(document);
                }
                catch (FeatureParseException e)
                {
                    errors.AddRange(e.Errors);
                    continue;
                }
                if (selection.Lines.Count > 0)
                {
                    var unmatched = selection.Lines.Where(l => !compiled.Any(p => Selects(document, p, l))).ToList();
                    foreach (var line in unmatched)
                        errors.Add(new FeatureParseError(uri, line, 0, "no scenario, outline, examples row or rule on this line"));
                    compiled = compiled.Where(p => selection.Lines.Any(l => Selects(document, p, l))).ToList();
                }
                pickles.AddRange(compiled);
            }
        }
        if (errors.Count > 0) throw new FeatureParseException(errors);
        filter ??= TagExpression.Always;
        var distinct = pickles.DistinctBy(p => p.Location).Where(p => filter.Evaluate(p.Tags.ToHashSet())).ToList();
        return new FeatureSet(documents, distinct);
    }

    private static IEnumerable<(string Path, string Uri)> Expand(string path, List<FeatureParseError> errors)
    {
        if (Directory.Exists(path))
        {
            // Sorted with an ordinal comparer so every machine runs features in the same order.
            return Directory.EnumerateFiles(path, "*.feature", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
                .Select(f => (f, f.Replace('\\', '/')))
                .ToList();
        }
        if (File.Exists(path)) return [(path, path.Replace('\\', '/'))];
        errors.Add(new FeatureParseError(path, 0, 0, "no such feature file or directory"));
        return [];
    }

    /// <summary>Cucumber's line selection: the scenario line, an Examples table line, a row line, or an enclosing Rule line.</summary>
    private static bool Selects(FeatureDocument document, Pickle pickle, int line)
    {
        if (pickle.Line == line || pickle.ScenarioLine == line) return true;
        var feature = document.Feature!;
        if (feature.Location.Line == line) return true;
        foreach (var (scenario, rule) in document.Index.Scenarios.Where(s => s.Scenario.Location.Line == pickle.ScenarioLine))
        {
            if (rule is not null && rule.Location.Line == line) return true;
            if (scenario.Examples.Any(e => e.Location.Line == line && e.TableBody.Any(r => r.Location.Line == pickle.Line))) return true;
        }
        return false;
    }
}
