using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.Cli.Output;

/// <summary>
/// JSON as the commands print it: non-ASCII text as UTF-8 ("发现", not "\u53D1\u73B0"), so a person or grep reads it
/// as written. The output is not embedded in HTML, so the HTML-safe escaping System.Text.Json does by default buys nothing.
/// </summary>
public static class JsonText
{
    /// <summary>The options of a source-generated context (its types and naming) with the relaxed encoder.</summary>
    public static JsonSerializerOptions Readable(JsonSerializerContext context) =>
        new(context.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
