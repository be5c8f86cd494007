namespace HilRig.Engine.Gherkin;

/// <summary>A Gherkin doc string with its optional content type (<c>"""json</c>).</summary>
public sealed record DocString(int Line, string Content, string? MediaType) : StepArgument(Line)
{
    public override string ToString() => Content;
}
