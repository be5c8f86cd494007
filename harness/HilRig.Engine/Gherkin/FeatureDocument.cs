using Io.Cucumber.Messages.Types;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// A parsed feature file: the URI it was addressed by, its text (the <c>source</c> message), and its Gherkin document
/// as Cucumber Messages, with ids on every node that pickles refer to.
/// </summary>
public sealed class FeatureDocument
{
    public FeatureDocument(string uri, string source, GherkinDocument document)
    {
        Uri = uri;
        Source = source;
        Document = document;
        Index = new GherkinIndex(document);
    }

    public string Uri { get; }

    public string Source { get; }

    public GherkinDocument Document { get; }

    public Feature? Feature => Document.Feature;

    /// <summary>The nodes of the document by id, for turning pickles' AST references back into lines and names.</summary>
    internal GherkinIndex Index { get; }
}
