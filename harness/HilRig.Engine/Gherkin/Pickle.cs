namespace HilRig.Engine.Gherkin;

/// <summary>
/// One executable scenario: a Scenario, or one row of a Scenario Outline's Examples, with the
/// Backgrounds of its Feature and Rule prepended and every tag it inherits.
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
    /// <summary>The scenario's name as written (placeholders unsubstituted): the same for every row of an outline.</summary>
    public string TestCaseName => OutlineName ?? Name;

    /// <summary>The <c>FEATURE:LINE</c> address that reruns exactly this pickle.</summary>
    public string Location => $"{Uri}:{Line}";

    /// <summary>Scenario name that tells outline rows apart.</summary>
    public string DisplayName => Example is null ? Name : $"{Name} [{Example.Describe()}]";
}

/// <summary>The Examples row a pickle was expanded from.</summary>
public sealed record ExampleRow(string? ExamplesName, int Index, IReadOnlyList<KeyValuePair<string, string>> Values)
{
    public string Describe()
    {
        var values = string.Join(", ", Values.Select(v => $"{v.Key}={v.Value}"));
        var table = string.IsNullOrWhiteSpace(ExamplesName) ? "example" : ExamplesName;
        return $"{table} #{Index}: {values}";
    }
}
