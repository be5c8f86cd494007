using System.Text.Json;
using System.Text.Json.Nodes;

namespace HilRig.Update.Bundles;

/// <summary>
/// The cloud's answer to one check-in, signed so a unit can tell a legitimate move back to the previous version
/// (seed 001) from an attacker replaying old metadata: it names the unit, echoes the nonce of that check-in, and
/// carries the SHA-256 of the exact signed metadata to install.
/// </summary>
public sealed record UpdateOffer(string UnitId, string Nonce, long ImageVersion, string Direction, bool Manual, string MetadataSha256)
{
    public const string PayloadName = "offer";
    public const string Purpose = "update-offer";
    public const string Next = "next";
    public const string Previous = "previous";

    public byte[] Sign(SigningKey key) => SignedDocument.Create(PayloadName, new JsonObject
    {
        ["unitId"] = UnitId,
        ["nonce"] = Nonce,
        ["imageVersion"] = ImageVersion,
        ["direction"] = Direction,
        ["manual"] = Manual,
        ["metadataSha256"] = MetadataSha256,
    }, key, Purpose);

    /// <summary>Checks signature, unit and nonce; throws <see cref="BundleRejection.InvalidOffer"/> (or a key rejection).</summary>
    public static UpdateOffer ReadVerified(ReadOnlySpan<byte> utf8, TrustStore trust, DateTimeOffset now, string unitId, string nonce)
    {
        SignedDocument doc;
        try { doc = SignedDocument.Parse(utf8, PayloadName, "offer"); }
        catch (BundleRejectedException e) when (e.Reason is BundleRejection.InvalidMetadata or BundleRejection.MalformedMetadata)
        { throw new BundleRejectedException(BundleRejection.InvalidOffer, e.Detail, e); }
        doc.Verify(trust, now, Purpose);
        var p = doc.Payload;
        string S(string name) => p.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
            : throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer: $.offer.{name}: missing or not a string");
        var offer = new UpdateOffer(
            S("unitId"), S("nonce"),
            p.TryGetProperty("imageVersion", out var iv) && iv.TryGetInt64(out var v) ? v : throw new BundleRejectedException(BundleRejection.InvalidOffer, "offer: $.offer.imageVersion: missing"),
            S("direction"),
            p.TryGetProperty("manual", out var m) && m.ValueKind is JsonValueKind.True,
            S("metadataSha256"));
        if (offer.UnitId != unitId)
            throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer is for unit '{offer.UnitId}', this is '{unitId}'");
        if (offer.Nonce != nonce)
            throw new BundleRejectedException(BundleRejection.InvalidOffer, $"offer answers check-in nonce {offer.Nonce}, not this check-in's {nonce} (replayed)");
        return offer;
    }
}
