using System.Text.RegularExpressions;
using Gherkin;
using Gherkin.CucumberMessages;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// Parses feature files with the official Gherkin 43 parser, which honours <c># language:</c> for
/// every Gherkin dialect, into a Cucumber Messages document (ids from <see cref="StableIdGenerator"/>), and turns its
/// errors into <see cref="FeatureParseError"/>s with file:line:column.
/// </summary>
public static partial class FeatureParser
{
    public static FeatureDocument ParseFile(string path, string? uri = null)
    {
        uri ??= path;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new FeatureParseException([new FeatureParseError(uri, 0, 0, $"cannot read: {e.Message}")]);
        }
        return ParseText(text, uri);
    }

    public static FeatureDocument ParseText(string text, string uri)
    {
        var parser = new Parser { StopAtFirstError = false };
        try
        {
            using var reader = new StringReader(text);
            var ast = parser.Parse(reader);
            var document = new AstMessagesConverter(new StableIdGenerator(uri)).ConvertGherkinDocumentToEventArgs(ast, uri);
            return new FeatureDocument(uri, text, document);
        }
        catch (CompositeParserException e)
        {
            throw new FeatureParseException(e.Errors.Select(x => ToError(uri, x)).ToList());
        }
        catch (ParserException e)
        {
            throw new FeatureParseException([ToError(uri, e)]);
        }
    }

    private static FeatureParseError ToError(string uri, ParserException e)
    {
        var line = e.Location?.Line ?? 0;
        var column = e.Location?.Column ?? 0;
        // The parser prefixes its messages with "(line:column): "; the location is ours to print.
        var reason = LocationPrefix().Replace(e.Message, "");
        return new FeatureParseError(uri, line, column, reason);
    }

    [GeneratedRegex(@"^\(\d+:\d+\):\s*")]
    private static partial Regex LocationPrefix();
}
