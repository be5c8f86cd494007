using System.Text.Json;
using System.Text.Json.Nodes;

namespace HilRig.Update.Bundles;

/// <summary>
/// Maps the metadata object of seed 001 to <see cref="BundleMetadata"/> and back. Reading names the JSON path of
/// every problem (<c>$.components[1].sha256: expected 64 hex digits</c>).
/// </summary>
public static class MetadataJson
{
    public static JsonObject ToJson(BundleMetadata metadata)
    {
        var components = new JsonArray();
        foreach (var c in metadata.Components)
        {
            var component = new JsonObject
            {
                ["id"] = c.Id,
                ["version"] = c.Version,
            };
            if (c.Description is not null) component["description"] = c.Description;
            if (c.AnnotationsJson is not null) component["annotations"] = JsonNode.Parse(c.AnnotationsJson);
            component["urls"] = new JsonArray(c.Urls.Select(u => (JsonNode?)JsonValue.Create(u)).ToArray());
            component["sha256"] = c.Sha256Hex;
            component["sha512"] = c.Sha512Hex;
            component["size"] = c.Size;
            components.Add((JsonNode)component);
        }

        var d = metadata.DecryptionInfo;
        var recipients = new JsonArray();
        foreach (var r in d.Recipients)
            recipients.Add((JsonNode)new JsonObject
            {
                ["keyId"] = r.KeyId,
                ["ephemeralPublicKey"] = Convert.ToBase64String(r.EphemeralPublicKey),
                ["salt"] = Convert.ToBase64String(r.Salt),
                ["nonce"] = Convert.ToBase64String(r.Nonce),
                ["wrappedKey"] = Convert.ToBase64String(r.Ciphertext),
            });

        return new JsonObject
        {
            ["imageVersion"] = metadata.ImageVersion,
            ["components"] = components,
            ["decryptionInfo"] = new JsonObject
            {
                ["algorithm"] = d.Algorithm,
                ["chunkSize"] = d.ChunkSize,
                ["keyAgreement"] = d.KeyAgreement,
                ["recipients"] = recipients,
            },
        };
    }

    /// <summary>Reads a parsed metadata object; throws <see cref="BundleRejectedException"/> (InvalidMetadata) naming the field.</summary>
    public static BundleMetadata FromJson(JsonElement root)
    {
        var r = new FieldReader();
        r.Object(root, "$");
        var imageVersion = r.Integer(root, "$", "imageVersion", min: 1);
        var componentsElement = r.Required(root, "$", "components", JsonValueKind.Array);
        var components = new List<ComponentInfo>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in componentsElement.EnumerateArray())
        {
            var path = $"$.components[{index++}]";
            r.Object(item, path);
            var id = r.String(item, path, "id", required: true)!;
            if (id.Length == 0 || id.Any(ch => char.IsControl(ch) || ch == '/' || ch == '\\') || id is "." or "..")
                throw r.Invalid($"{path}.id", $"'{id}' is not a component id (non-empty, no '/', '\\' or control characters)");
            if (!ids.Add(id)) throw r.Invalid($"{path}.id", $"duplicate component id '{id}'");
            var version = r.String(item, path, "version", required: true)!;
            var description = r.String(item, path, "description", required: false);
            string? annotations = null;
            if (item.TryGetProperty("annotations", out var a))
            {
                if (a.ValueKind != JsonValueKind.Object) throw r.Invalid($"{path}.annotations", $"expected an object, found {a.ValueKind}");
                annotations = CanonicalJson.SerializeToString(a);
            }
            var urlsElement = r.Required(item, path, "urls", JsonValueKind.Array);
            var urls = new List<string>();
            var u = 0;
            foreach (var url in urlsElement.EnumerateArray())
            {
                if (url.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(url.GetString()))
                    throw r.Invalid($"{path}.urls[{u}]", "expected a non-empty string");
                urls.Add(url.GetString()!);
                u++;
            }
            if (urls.Count == 0) throw r.Invalid($"{path}.urls", "at least one URL is needed");
            var sha256 = r.Hex(item, path, "sha256", 32);
            var sha512 = r.Hex(item, path, "sha512", 64);
            var size = r.Integer(item, path, "size", min: 0);
            components.Add(new ComponentInfo(id, version, description, annotations, urls, sha256, sha512, size));
        }
        if (components.Count == 0) throw r.Invalid("$.components", "a bundle names at least one component");

        var di = r.Required(root, "$", "decryptionInfo", JsonValueKind.Object);
        const string dp = "$.decryptionInfo";
        var algorithm = r.String(di, dp, "algorithm", required: true)!;
        if (algorithm != DecryptionInfo.AesGcmChunked) throw r.Invalid($"{dp}.algorithm", $"unsupported '{algorithm}', expected {DecryptionInfo.AesGcmChunked}");
        var chunkSize = r.Integer(di, dp, "chunkSize", min: 16);
        if (chunkSize > 16 * 1024 * 1024) throw r.Invalid($"{dp}.chunkSize", $"{chunkSize} is above 16 MiB");
        var keyAgreement = r.String(di, dp, "keyAgreement", required: true)!;
        if (keyAgreement != DecryptionInfo.EcdhP256Hkdf) throw r.Invalid($"{dp}.keyAgreement", $"unsupported '{keyAgreement}', expected {DecryptionInfo.EcdhP256Hkdf}");
        var recipientsElement = r.Required(di, dp, "recipients", JsonValueKind.Array);
        var recipients = new List<WrappedKey>();
        index = 0;
        foreach (var item in recipientsElement.EnumerateArray())
        {
            var path = $"{dp}.recipients[{index++}]";
            r.Object(item, path);
            recipients.Add(new WrappedKey(
                r.String(item, path, "keyId", required: true)!,
                r.Base64(item, path, "ephemeralPublicKey"),
                r.Base64(item, path, "salt"),
                r.Base64(item, path, "nonce"),
                r.Base64(item, path, "wrappedKey")));
        }
        return new BundleMetadata(imageVersion, components, new DecryptionInfo(algorithm, (int)chunkSize, keyAgreement, recipients));
    }

    private sealed class FieldReader
    {
        public BundleRejectedException Invalid(string path, string message) => new(BundleRejection.InvalidMetadata, $"{path}: {message}");

        public void Object(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Invalid(path, $"expected an object, found {e.ValueKind}");
        }

        public JsonElement Required(JsonElement parent, string path, string name, JsonValueKind kind)
        {
            if (!parent.TryGetProperty(name, out var value)) throw Invalid($"{path}.{name}", "missing");
            if (value.ValueKind != kind) throw Invalid($"{path}.{name}", $"expected {kind}, found {value.ValueKind}");
            return value;
        }

        public string? String(JsonElement parent, string path, string name, bool required)
        {
            if (!parent.TryGetProperty(name, out var value))
                return required ? throw Invalid($"{path}.{name}", "missing") : null;
            if (value.ValueKind != JsonValueKind.String) throw Invalid($"{path}.{name}", $"expected a string, found {value.ValueKind}");
            return value.GetString();
        }

        public long Integer(JsonElement parent, string path, string name, long min)
        {
            var value = Required(parent, path, name, JsonValueKind.Number);
            if (!value.TryGetInt64(out var n)) throw Invalid($"{path}.{name}", $"expected an integer, found {value.GetRawText()}");
            if (n < min) throw Invalid($"{path}.{name}", $"{n} is below {min}");
            return n;
        }

        public byte[] Hex(JsonElement parent, string path, string name, int bytes)
        {
            var text = String(parent, path, name, required: true)!;
            if (text.Length != bytes * 2 || !text.All(Uri.IsHexDigit))
                throw Invalid($"{path}.{name}", $"expected {bytes * 2} hex digits, found '{Truncate(text)}'");
            return Convert.FromHexString(text);
        }

        public byte[] Base64(JsonElement parent, string path, string name)
        {
            var text = String(parent, path, name, required: true)!;
            try { return Convert.FromBase64String(text); }
            catch (FormatException) { throw Invalid($"{path}.{name}", $"not base64: '{Truncate(text)}'"); }
        }

        private static string Truncate(string s) => s.Length <= 24 ? s : s[..24] + "…";
    }
}
