using System.Text.Json;

namespace HilRig.Update.Bundles;

/// <summary>Signed bundle metadata: <c>{"metadata": {…seed 001…}, "signature": {…}}</c>.</summary>
public static class MetadataDocument
{
    public const string PayloadName = "metadata";
    public const string Purpose = "bundle-metadata";

    public static byte[] Sign(BundleMetadata metadata, SigningKey key) =>
        SignedDocument.Create(PayloadName, MetadataJson.ToJson(metadata), key, Purpose);

    /// <summary>Parses without checking the signature (for <c>bundle inspect</c> and the cloud's re-signing).</summary>
    public static (BundleMetadata Metadata, SignedDocument Document) ReadUnverified(ReadOnlySpan<byte> utf8, string source)
    {
        var doc = SignedDocument.Parse(utf8, PayloadName, source);
        return (MetadataJson.FromJson(doc.Payload), doc);
    }

    /// <summary>Parses, checks the signature against the trust store, then reads the fields.</summary>
    public static BundleMetadata ReadVerified(ReadOnlySpan<byte> utf8, string source, TrustStore trust, DateTimeOffset now)
    {
        var doc = SignedDocument.Parse(utf8, PayloadName, source);
        doc.Verify(trust, now, Purpose);
        return MetadataJson.FromJson(doc.Payload);
    }

    public static JsonElement Payload(ReadOnlySpan<byte> utf8, string source) => SignedDocument.Parse(utf8, PayloadName, source).Payload;
}
