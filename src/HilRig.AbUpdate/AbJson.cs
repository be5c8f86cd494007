using System.Text.Json.Serialization;

namespace HilRig.AbUpdate;

/// <summary>
/// The A/B reports' JSON (snake_case, indented, every property written) and the release manifest, source-generated so
/// the NativeAOT device agent serialises them without reflection.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AbStatus))]
internal sealed partial class AbJson : JsonSerializerContext;

/// <summary>The release manifest line in the first block of a release: <c>{"version":"2.0","health":"ok"}</c>.</summary>
[JsonSerializable(typeof(ReleaseManifestJson))]
internal sealed partial class ReleaseJson : JsonSerializerContext;

internal sealed record ReleaseManifestJson(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("health")] string Health);
