using Gherkin.Ast;

namespace HilRig.Harness.Gherkin;

/// <summary>A parsed feature file and the URI it was addressed by.</summary>
public sealed record FeatureDocument(string Uri, GherkinDocument Document)
{
    public Feature? Feature => Document.Feature;
}
