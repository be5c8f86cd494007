using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.Update.Cloud;

/// <summary>The JSON bodies between a unit's CM and the cloud (camelCase on the wire).</summary>
public static class CloudApi
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
    };

    public const string CheckInPath = "/api/checkin";
    public const string ResultsPath = "/api/results";
}

/// <summary>Seed 001: "When the unit connects to the cloud, it sends platform id and current image version"; the nonce makes the answer unreplayable.</summary>
public sealed record CheckInRequest(string UnitId, string PlatformId, long ImageVersion, string Nonce);

/// <summary>
/// <see cref="Action"/> is <c>none</c> or <c>update</c>; with an update, <see cref="Offer"/> is the cloud-signed
/// <see cref="Bundles.UpdateOffer"/> and <see cref="MetadataUrl"/> where the signed metadata is.
/// </summary>
public sealed record CheckInResponse(string Action, string Reason, long? ImageVersion = null, string? Direction = null, bool Manual = false, string? MetadataUrl = null, JsonElement? Offer = null)
{
    public const string None = "none";
    public const string Update = "update";
}

/// <summary>What a CM reports after an update attempt; <see cref="Reason"/> is a wire reason (<c>sha256-mismatch</c>, <c>um-failed</c>, …).</summary>
public sealed record ResultReport(string UnitId, long ImageVersion, bool Success, string? Reason = null, string? Detail = null);
