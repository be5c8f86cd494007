using System.Buffers;
using System.Text.Json;

namespace HilRig.Update.Bundles;

/// <summary>
/// The cloud's answer to one check-in, signed so a unit can tell a legitimate move back to the previous version
/// (seed 001) from an attacker replaying old metadata: it names the unit, echoes the nonce and the image version that
/// check-in reported, says which way it moves the unit, and carries the SHA-256 of the exact signed metadata to install.
/// A downgrade is the cloud's signed word that this unit, at this version, goes back to that one.
/// </summary>
public sealed record UpdateOffer(string UnitId, string Nonce, long ImageVersion, string Direction, bool Manual, string MetadataSha256, long ReportedImageVersion)
{
    public const string PayloadName = "offer";
    public const string Purpose = "update-offer";
    public const string Next = "next";
    public const string Previous = "previous";

    public byte[] Sign(SigningKey key)
    {
        // Written straight to UTF-8 and read back once as the element to sign: no node tree (one offer per check-in).
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("unitId", UnitId);
            writer.WriteString("nonce", Nonce);
            writer.WriteNumber("imageVersion", ImageVersion);
            writer.WriteString("direction", Direction);
            writer.WriteBoolean("manual", Manual);
            writer.WriteString("metadataSha256", MetadataSha256);
            writer.WriteNumber("reportedImageVersion", ReportedImageVersion);
            writer.WriteEndObject();
        }
        using var payload = JsonDocument.Parse(buffer.WrittenMemory);
        return SignedDocument.Create(PayloadName, payload.RootElement, key, Purpose);
    }

    /// <summary>
    /// Checks signature, unit, nonce and the reported version; throws <see cref="BundleRejection.InvalidOffer"/> (or a key
    /// rejection), or <see cref="BundleRejection.WrongDirection"/> when the direction does not fit the installed version.
    /// </summary>
    public static UpdateOffer ReadVerified(ReadOnlySpan<byte> utf8, TrustStore trust, DateTimeOffset now, string unitId, string nonce, long installedImageVersion)
    {
        SignedDocument doc;
        try { doc = SignedDocument.Parse(utf8, PayloadName, "offer"); }
        catch (BundleRejectedException e) when (e.Reason is BundleRejection.InvalidMetadata or BundleRejection.MalformedMetadata)
        { throw new BundleRejectedException(BundleRejection.InvalidOffer, e.Detail, e); }
        doc.Verify(trust, now, Purpose);
        var offer = FromPayload(doc.Payload);
        if (offer.UnitId != unitId)
            throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer is for unit '{offer.UnitId}', this is '{unitId}'");
        if (offer.Nonce != nonce)
            throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer answers check-in nonce {offer.Nonce}, not this check-in's {nonce} (replayed)");
        if (offer.ReportedImageVersion != installedImageVersion)
            throw new BundleRejectedException(BundleRejection.InvalidOffer,
                $"offer answers a check-in that reported image {offer.ReportedImageVersion}, this unit has image {installedImageVersion} installed");
        offer.CheckDirection(installedImageVersion);
        return offer;
    }

    /// <summary>
    /// What a signed offer (<c>{"offer": {…}, "signatures": […]}</c>) says, with its signature not checked: for a man in
    /// the middle that re-signs it (issue 13's attacks in tests and scenarios). A unit reads offers with <see cref="ReadVerified"/>.
    /// </summary>
    public static UpdateOffer ReadUnverified(JsonElement signedOffer) =>
        signedOffer.ValueKind == JsonValueKind.Object && signedOffer.TryGetProperty(PayloadName, out var payload) && payload.ValueKind == JsonValueKind.Object
            ? FromPayload(payload)
            : throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer: $.{PayloadName}: missing or not an object");

    private static UpdateOffer FromPayload(JsonElement p)
    {
        string S(string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer: $.offer.{name}: missing or not a string");
        long L(string name) => p.TryGetProperty(name, out var v) && v.TryGetInt64(out var l) ? l
            : throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer: $.offer.{name}: missing or not an integer");
        return new UpdateOffer(
            S("unitId"), S("nonce"), L("imageVersion"), S("direction"),
            p.TryGetProperty("manual", out var m) && m.ValueKind is JsonValueKind.True,
            S("metadataSha256"), L("reportedImageVersion"));
    }

    /// <summary>Next must go up from the installed version, previous down; nothing else moves a unit (seed 001).</summary>
    public void CheckDirection(long installedImageVersion)
    {
        var fits = Direction switch
        {
            Next => ImageVersion > installedImageVersion,
            Previous => ImageVersion < installedImageVersion,
            _ => throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer: $.offer.direction: '{Direction}' is neither {Next} nor {Previous}"),
        };
        if (!fits)
            throw new BundleRejectedException(BundleRejection.WrongDirection,
                $"the offer moves the unit to the {Direction} image {ImageVersion}, but the installed image is {installedImageVersion}");
    }
}
