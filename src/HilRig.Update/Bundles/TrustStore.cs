using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HilRig.Update.Bundles;

/// <summary>
/// The keys a unit accepts signatures from, each with a validity period so keys can rotate: a new key is added with
/// its period before the old one ends. File forms: a JSON trust store
/// <c>{"keys":[{"name":"cloud-2026","publicKey":"-----BEGIN PUBLIC KEY-----…","notBefore":"…Z","notAfter":"…Z"}]}</c>,
/// or a PEM keyring (<see cref="PemKeyring"/>) of public keys and certificates, as <c>rauc --keyring</c> and
/// <c>mender-artifact validate -k</c> take.
/// </summary>
public sealed class TrustStore
{
    private readonly Dictionary<string, TrustedKey> _byId;

    public TrustStore(IEnumerable<TrustedKey> keys)
    {
        _byId = new Dictionary<string, TrustedKey>(StringComparer.Ordinal);
        foreach (var key in keys) _byId[key.Id] = key;
    }

    public IReadOnlyCollection<TrustedKey> Keys => _byId.Values;

    /// <summary>The key that may check a signature made now, or a rejection saying why there is none.</summary>
    public TrustedKey Resolve(string keyId, DateTimeOffset now)
    {
        if (!_byId.TryGetValue(keyId, out var key))
            throw new BundleRejectedException(BundleRejection.UnknownKey, $"signed by key {keyId}, which is not in the trust store");
        if (!key.IsValidAt(now))
            throw new BundleRejectedException(BundleRejection.ExpiredKey,
                $"signed by key {keyId} ('{key.Name}'), valid {key.NotBefore:O} to {key.NotAfter:O}, not at {now:O}");
        return key;
    }

    /// <summary>A JSON trust store or a PEM keyring, told apart by their first character; anything else says it is neither.</summary>
    public static TrustStore Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new TrustStoreException($"{path}: cannot read ({e.Message})", e); }
        var text = System.Text.Encoding.UTF8.GetString(bytes).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (text.StartsWith('{')) return Parse(bytes, path);
        if (text.Contains("-----BEGIN ", StringComparison.Ordinal)) return new TrustStore(PemKeyring.Parse(text, path));
        throw new TrustStoreException($"{path}: neither a JSON trust store ({{\"keys\":[…]}}) nor a PEM file of public keys or certificates");
    }

    public static TrustStore Parse(ReadOnlySpan<byte> utf8, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(utf8.ToArray()); }
        catch (JsonException e) { throw new TrustStoreException($"{source}:{e.LineNumber + 1}: byte {e.BytePositionInLine + 1}: malformed JSON ({e.Message})", e); }
        using (doc)
        {
            if (!doc.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
                throw new TrustStoreException($"{source}: $.keys: missing or not an array");
            var list = new List<TrustedKey>();
            var i = 0;
            foreach (var k in keys.EnumerateArray())
            {
                var path = $"{source}: $.keys[{i++}]";
                string Field(string name) =>
                    k.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new TrustStoreException($"{path}.{name}: missing or not a string");
                DateTimeOffset Time(string name) =>
                    DateTimeOffset.TryParse(Field(name), null, System.Globalization.DateTimeStyles.RoundtripKind, out var t) ? t : throw new TrustStoreException($"{path}.{name}: not an ISO 8601 time");
                using var ecdsa = ECDsa.Create();
                try { ecdsa.ImportFromPem(Field("publicKey")); }
                catch (Exception e) when (e is ArgumentException or CryptographicException) { throw new TrustStoreException($"{path}.publicKey: not a PEM public key ({e.Message})", e); }
                var key = new TrustedKey(Field("name"), ecdsa.ExportSubjectPublicKeyInfo(), Time("notBefore"), Time("notAfter"));
                if (key.NotAfter <= key.NotBefore) throw new TrustStoreException($"{path}: notAfter is not after notBefore");
                list.Add(key);
            }
            return new TrustStore(list);
        }
    }

    public string ToJson()
    {
        var keys = new JsonArray();
        foreach (var k in _byId.Values.OrderBy(k => k.NotBefore))
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(k.SubjectPublicKeyInfo, out _);
            keys.Add((JsonNode)new JsonObject
            {
                ["name"] = k.Name,
                ["keyId"] = k.Id,
                ["publicKey"] = ecdsa.ExportSubjectPublicKeyInfoPem(),
                ["notBefore"] = k.NotBefore.ToString("O"),
                ["notAfter"] = k.NotAfter.ToString("O"),
            });
        }
        return new JsonObject { ["keys"] = keys }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}

public sealed class TrustStoreException(string message, Exception? inner = null) : Exception(message, inner);
