namespace HilRig.Engine.Gherkin;

/// <summary>
/// One executable scenario: a Scenario, or one row of a Scenario Outline's Examples, with the
/// Backgrounds of its Feature and Rule prepended and every tag it inherits. <see cref="Name"/> is Cucumber's pickle
/// name (an outline row's name is the outline's with its placeholders filled in); <see cref="DisplayName"/> adds the
/// row marker that tells rows apart on a console, in NUnit and in Allure.
/// </summary>
public sealed record Pickle(
    string Uri,
    string FeatureName,
    string? RuleName,
    string Name,
    int Line,
    int ScenarioLine,
    IReadOnlyList<string> Tags,
    IReadOnlyList<PickleStep> Steps,
    string Language,
    ExampleRow? Example,
    string? OutlineName = null)
{
    /// <summary>The pickle id of Cucumber Messages (stable across processes for the same file, see <see cref="StableIdGenerator"/>).</summary>
    public string Id { get; init; } = "";

    /// <summary>The Feature's own tags: what <c>[BeforeFeature("@tag")]</c> hooks are scoped by.</summary>
    public IReadOnlyList<string> FeatureTags { get; init; } = [];

    /// <summary>The tags the scenario inherits from its Feature and Rule (a subset of <see cref="Tags"/>).</summary>
    public IReadOnlyList<string> InheritedTags { get; init; } = [];

    /// <summary>The feature file it came from, for the Cucumber Messages report (its source and Gherkin document).</summary>
    public FeatureDocument? Document { get; init; }

    /// <summary>The pickle as Gherkin compiled it, for the Cucumber Messages report.</summary>
    public Io.Cucumber.Messages.Types.Pickle? Message { get; init; }

    /// <summary>The scenario's name as written (placeholders unsubstituted): the same for every row of an outline.</summary>
    public string TestCaseName => OutlineName ?? Name;

    /// <summary>The <c>FEATURE:LINE</c> address that reruns exactly this pickle.</summary>
    public string Location => $"{Uri}:{Line}";

    /// <summary>Scenario name that tells outline rows apart.</summary>
    public string DisplayName => Example is null ? Name : $"{Name} [{Example.Describe()}]";
}

/// <summary>The Examples row a pickle was expanded from; <see cref="Index"/> counts rows of its table from 1.</summary>
public sealed record ExampleRow(string? ExamplesName, int Index, IReadOnlyList<KeyValuePair<string, string>> Values)
{
    public string Describe()
    {
        var values = string.Join(", ", Values.Select(v => $"{v.Key}={v.Value}"));
        var table = string.IsNullOrWhiteSpace(ExamplesName) ? "example" : ExamplesName;
        return $"{table} #{Index}: {values}";
    }
}
