using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HilRig.Update.Bundles;

/// <summary>
/// A JSON document and an ES256 signature over its canonical form, prefixed with a purpose string so a signature on
/// one kind of document (bundle metadata) can never be replayed as another (an update offer):
/// <code>{"&lt;payloadName&gt;": {...}, "signature": {"algorithm": "ES256", "keyId": "…", "value": "base64"}}</code>
/// </summary>
public sealed class SignedDocument
{
    public const string Algorithm = "ES256";

    private SignedDocument(string payloadName, JsonElement payload, string keyId, byte[] signature)
    {
        PayloadName = payloadName;
        Payload = payload;
        KeyId = keyId;
        Signature = signature;
    }

    public string PayloadName { get; }
    public JsonElement Payload { get; }
    public string KeyId { get; }
    public byte[] Signature { get; }

    public static byte[] SignedBytes(string purpose, JsonElement payload)
    {
        var prefix = Encoding.UTF8.GetBytes($"hilrig/{purpose}/v1\n");
        return [.. prefix, .. CanonicalJson.Serialize(payload)];
    }

    public static byte[] Create(string payloadName, JsonNode payload, SigningKey key, string purpose)
    {
        using var parsed = JsonDocument.Parse(payload.ToJsonString());
        return Create(payloadName, parsed.RootElement, key, purpose);
    }

    /// <summary>
    /// Signs <paramref name="payload"/>'s canonical form and writes the envelope (indented) around the payload as it is:
    /// one writer, no tree of nodes built and serialised again (the cloud signs one offer per check-in).
    /// </summary>
    public static byte[] Create(string payloadName, JsonElement payload, SigningKey key, string purpose)
    {
        var signature = key.Sign(SignedBytes(purpose, payload));
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(payloadName);
            payload.WriteTo(writer);
            writer.WriteStartObject("signature");
            writer.WriteString("algorithm", Algorithm);
            writer.WriteString("keyId", key.Id);
            writer.WriteString("value", Convert.ToBase64String(signature));
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses the envelope; malformed JSON is refused with its line and byte.</summary>
    public static SignedDocument Parse(ReadOnlySpan<byte> utf8, string payloadName, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            throw new BundleRejectedException(BundleRejection.MalformedMetadata,
                $"{source}:{(e.LineNumber ?? 0) + 1}: byte {(e.BytePositionInLine ?? 0) + 1}: malformed JSON ({FirstSentence(e.Message)})", e);
        }
        var root = doc.RootElement.Clone();
        doc.Dispose();
        if (root.ValueKind != JsonValueKind.Object)
            throw new BundleRejectedException(BundleRejection.InvalidMetadata, $"{source}: $: expected an object, found {root.ValueKind}");
        if (!root.TryGetProperty(payloadName, out var payload) || payload.ValueKind != JsonValueKind.Object)
            throw new BundleRejectedException(BundleRejection.InvalidMetadata, $"{source}: $.{payloadName}: missing or not an object");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in root.EnumerateObject())
            if (!seen.Add(member.Name))
                throw new BundleRejectedException(BundleRejection.InvalidMetadata, $"{source}: $.{member.Name}: duplicate member name");
            else if (member.Name != payloadName && member.Name != "signature")
                throw new BundleRejectedException(BundleRejection.InvalidMetadata, $"{source}: $.{member.Name}: unexpected member (only {payloadName} and signature)");
        if (!root.TryGetProperty("signature", out var sig) || sig.ValueKind != JsonValueKind.Object)
            throw new BundleRejectedException(BundleRejection.BadSignature, $"{source}: $.signature: missing, the document is unsigned");
        string Field(string name) => sig.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new BundleRejectedException(BundleRejection.BadSignature, $"{source}: $.signature.{name}: missing or not a string");
        var algorithm = Field("algorithm");
        if (algorithm != Algorithm)
            throw new BundleRejectedException(BundleRejection.BadSignature, $"{source}: $.signature.algorithm: '{algorithm}' is not {Algorithm}");
        byte[] value;
        try { value = Convert.FromBase64String(Field("value")); }
        catch (FormatException) { throw new BundleRejectedException(BundleRejection.BadSignature, $"{source}: $.signature.value: not base64"); }
        return new SignedDocument(payloadName, payload, Field("keyId"), value);
    }

    /// <summary>Checks the signature against the trust store at <paramref name="now"/>; throws a rejection naming the key.</summary>
    public void Verify(TrustStore trust, DateTimeOffset now, string purpose)
    {
        var key = trust.Resolve(KeyId, now);
        byte[] signed;
        try { signed = SignedBytes(purpose, Payload); }
        catch (CanonicalJsonException e) { throw new BundleRejectedException(BundleRejection.InvalidMetadata, e.Message, e); }
        if (!key.Verify(signed, Signature))
            throw new BundleRejectedException(BundleRejection.BadSignature, $"the signature by key {KeyId} ('{key.Name}') does not match the {PayloadName}");
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
