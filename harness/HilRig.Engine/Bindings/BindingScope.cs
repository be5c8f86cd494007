using HilRig.Engine.Gherkin;
using HilRig.Engine.Tags;

namespace HilRig.Engine.Bindings;

/// <summary>
/// One Reqnroll <c>[Scope(Tag = …, Feature = …, Scenario = …)]</c>: every part given must hold. <c>Tag</c> is a full
/// tag expression here (<c>"@a and not @b"</c>; a bare name like <c>"web"</c> means <c>@web</c>, as in Reqnroll);
/// feature and scenario titles compare case-insensitively, as in Reqnroll.
/// </summary>
public sealed record BindingScope(TagExpression? Tags, string? TagText, string? Feature, string? Scenario)
{
    /// <summary>How many parts of the scope match the pickle (more is more specific), or -1 when one does not.</summary>
    public int Score(Pickle pickle, IReadOnlyCollection<string> tags)
    {
        var score = 0;
        if (Tags is not null)
        {
            if (!Tags.Evaluate(tags)) return -1;
            score++;
        }
        if (Feature is not null)
        {
            if (!string.Equals(Feature, pickle.FeatureName, StringComparison.CurrentCultureIgnoreCase)) return -1;
            score++;
        }
        if (Scenario is not null)
        {
            if (!string.Equals(Scenario, pickle.Name, StringComparison.CurrentCultureIgnoreCase) &&
                !string.Equals(Scenario, pickle.TestCaseName, StringComparison.CurrentCultureIgnoreCase)) return -1;
            score++;
        }
        return score;
    }

    /// <summary>The best score of any scope (Reqnroll ORs several <c>[Scope]</c>s), 0 with none, -1 when none matches.</summary>
    public static int BestScore(IReadOnlyList<BindingScope> scopes, Pickle pickle, IReadOnlyCollection<string> tags) =>
        scopes.Count == 0 ? 0 : scopes.Max(s => s.Score(pickle, tags));

    public override string ToString() =>
        string.Join(", ", new[] { TagText is null ? null : $"Tag = \"{TagText}\"", Feature is null ? null : $"Feature = \"{Feature}\"",
            Scenario is null ? null : $"Scenario = \"{Scenario}\"" }.Where(p => p is not null));
}
