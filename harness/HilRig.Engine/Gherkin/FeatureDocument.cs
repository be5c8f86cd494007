using Gherkin.Ast;

namespace HilRig.Engine.Gherkin;

/// <summary>A parsed feature file and the URI it was addressed by.</summary>
public sealed record FeatureDocument(string Uri, GherkinDocument Document)
{
    public Feature? Feature => Document.Feature;
}
