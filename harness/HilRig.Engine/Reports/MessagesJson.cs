using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Io.Cucumber.Messages.Types;

namespace HilRig.Engine.Reports;

/// <summary>
/// Cucumber Messages as JSON (Cucumber.Messages ships the types, not a serializer): camelCase names, nulls left out,
/// enums as the strings the schema defines (<c>text/x.cucumber.gherkin+plain</c>, <c>PASSED</c>), one line per envelope,
/// non-ASCII text as UTF-8 (the HTML formatter escapes what a script element needs escaped).
/// </summary>
public static class MessagesJson
{
    private static readonly JsonSerializerOptions Options = new(MessagesJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(Envelope envelope) => JsonSerializer.Serialize(envelope, Options);

    /// <summary>One ndjson line back into an envelope (merging shards' messages re-renders the HTML report from them).</summary>
    public static Envelope Deserialize(string line) => JsonSerializer.Deserialize<Envelope>(line, Options) ?? throw new JsonException("empty envelope");
}

/// <summary>An enum written through its generated <c>Value()</c> extension, the schema's own spelling.</summary>
internal abstract class SchemaEnumConverter<T>(Func<T, string> value) : JsonConverter<T> where T : struct, Enum
{
    private readonly Dictionary<string, T> _byValue = Enum.GetValues<T>().ToDictionary(value);

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        _byValue.TryGetValue(reader.GetString() ?? "", out var e) ? e : throw new JsonException($"not a {typeof(T).Name}: {reader.GetString()}");

    public override void Write(Utf8JsonWriter writer, T e, JsonSerializerOptions options) => writer.WriteStringValue(value(e));
}

internal sealed class AttachmentContentEncodingConverter() : SchemaEnumConverter<AttachmentContentEncoding>(AttachmentContentEncodingExtensions.Value);
internal sealed class HookTypeConverter() : SchemaEnumConverter<HookType>(HookTypeExtensions.Value);
internal sealed class PickleStepTypeConverter() : SchemaEnumConverter<PickleStepType>(PickleStepTypeExtensions.Value);
internal sealed class SourceMediaTypeConverter() : SchemaEnumConverter<SourceMediaType>(SourceMediaTypeExtensions.Value);
internal sealed class StepDefinitionPatternTypeConverter() : SchemaEnumConverter<StepDefinitionPatternType>(StepDefinitionPatternTypeExtensions.Value);
internal sealed class StepKeywordTypeConverter() : SchemaEnumConverter<StepKeywordType>(StepKeywordTypeExtensions.Value);
internal sealed class TestStepResultStatusConverter() : SchemaEnumConverter<TestStepResultStatus>(TestStepResultStatusExtensions.Value);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters =
    [
        typeof(AttachmentContentEncodingConverter), typeof(HookTypeConverter), typeof(PickleStepTypeConverter), typeof(SourceMediaTypeConverter),
        typeof(StepDefinitionPatternTypeConverter), typeof(StepKeywordTypeConverter), typeof(TestStepResultStatusConverter),
    ])]
[JsonSerializable(typeof(Envelope))]
internal sealed partial class MessagesJsonContext : JsonSerializerContext;
