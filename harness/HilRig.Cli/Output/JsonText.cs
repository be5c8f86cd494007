using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.Cli.Output;

/// <summary>
/// How the CLI's JSON output writes text: every character as itself in UTF-8 except what JSON requires escaped
/// (<c>"</c>, <c>\</c> and control characters below U+0020), so a component description in Chinese or an emoji reads
/// as written instead of <c>"\u53D1\u73B0"</c>. System.Text.Json's encoders cannot do this: the default one escapes
/// everything outside ASCII, and even <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> escapes characters
/// outside the Basic Multilingual Plane. Output is for terminals and JSON parsers, never embedded in HTML.
/// </summary>
public sealed class JsonText : JavaScriptEncoder
{
    public static readonly JsonText Encoder = new();

    /// <summary>Options for the source-generated contexts: these settings plus the given ones.</summary>
    public static JsonSerializerOptions Options(bool indented = false, JsonNamingPolicy? naming = null) =>
        new() { Encoder = Encoder, WriteIndented = indented, PropertyNamingPolicy = naming };

    /// <summary>The options of a source-generated context (its types and naming) with this encoder.</summary>
    public static JsonSerializerOptions Readable(JsonSerializerContext context) => new(context.Options) { Encoder = Encoder };

    private JsonText() { }

    public override int MaxOutputCharactersPerInputCharacter => 6; // \uXXXX

    public override bool WillEncode(int unicodeScalar) => unicodeScalar is < 0x20 or '"' or '\\';

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (var i = 0; i < textLength; i++)
            if (text[i] is < (char)0x20 or '"' or '\\') return i;
        return -1;
    }

    /// <summary>UTF-8 multi-byte sequences never contain a byte below 0x80, so a byte scan is exact.</summary>
    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        for (var i = 0; i < utf8Text.Length; i++)
            if (utf8Text[i] is < 0x20 or (byte)'"' or (byte)'\\') return i;
        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        numberOfCharactersWritten = 0;
        if (!WillEncode(unicodeScalar))
        {
            if (unicodeScalar > 0xFFFF)
            {
                if (bufferLength < 2) return false;
                var s = char.ConvertFromUtf32(unicodeScalar);
                buffer[0] = s[0];
                buffer[1] = s[1];
                numberOfCharactersWritten = 2;
                return true;
            }
            if (bufferLength < 1) return false;
            buffer[0] = (char)unicodeScalar;
            numberOfCharactersWritten = 1;
            return true;
        }
        // The two-character escapes where JSON has one (\" \\ \n …), as the stock encoders write them: \u0022 in a
        // step's quoted text reads worse than the \u53D1 this encoder exists to avoid.
        var shortEscape = unicodeScalar switch
        {
            '"' => '"', '\\' => '\\', '\n' => 'n', '\r' => 'r', '\t' => 't', '\b' => 'b', '\f' => 'f', _ => '\0',
        };
        if (shortEscape != '\0')
        {
            if (bufferLength < 2) return false;
            buffer[0] = '\\';
            buffer[1] = shortEscape;
            numberOfCharactersWritten = 2;
            return true;
        }
        if (bufferLength < 6) return false;
        var hex = $"\\u{unicodeScalar:X4}";
        for (var i = 0; i < 6; i++) buffer[i] = hex[i];
        numberOfCharactersWritten = 6;
        return true;
    }
}
