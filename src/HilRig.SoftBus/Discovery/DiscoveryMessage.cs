using System.Net;
using System.Text;
using System.Text.Json;

namespace HilRig.SoftBus.Discovery;

/// <summary>
/// The JSON of a discovery probe or reply (softbus_lite json_payload.c, dsoftbus nstackx): deviceId (a string holding
/// <c>{"UDID":"…"}</c>), devicename, type, hicomversion, mode, deviceHash, serviceData (<c>port:N</c>), wlanIp,
/// capabilityBitmap, and — in a probe only — coapUri, the address to answer.
/// </summary>
public sealed record DiscoveryMessage
{
    /// <summary>softbus_lite's COAP_MAX_PDU_SIZE: a larger payload is refused.</summary>
    public const int MaxLength = 1024;

    public required string Udid { get; init; }
    public required string DeviceName { get; init; }
    public required int DeviceType { get; init; }
    public string HicomVersion { get; init; } = "1.0.0";
    public int Mode { get; init; }
    public string DeviceHash { get; init; } = "0";
    public string? ServiceData { get; init; }
    public required string WlanIp { get; init; }
    public IReadOnlyList<uint> CapabilityBitmap { get; init; } = [];

    /// <summary>Present in a probe: <c>coap://&lt;prober&gt;/device_discover</c>. A message without it is a reply.</summary>
    public string? CoapUri { get; init; }

    public bool IsProbe => CoapUri is not null;

    /// <summary>The auth port advertised in serviceData (<c>port:N[,…]</c>), when there is one.</summary>
    public int? AuthPort
    {
        get
        {
            if (ServiceData is null) return null;
            foreach (var part in ServiceData.Split(','))
                if (part.StartsWith("port:", StringComparison.Ordinal) && int.TryParse(part.AsSpan(5), out var p) && p is > 0 and < 65536) return p;
            return null;
        }
    }

    public byte[] ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("deviceId", JsonSerializer.Serialize(new Dictionary<string, string> { ["UDID"] = Udid }, SoftBusJson.Default.DictionaryStringString));
            w.WriteString("devicename", DeviceName);
            w.WriteNumber("type", DeviceType);
            w.WriteString("hicomversion", HicomVersion);
            w.WriteNumber("mode", Mode);
            w.WriteString("deviceHash", DeviceHash);
            if (ServiceData is not null) w.WriteString("serviceData", ServiceData);
            w.WriteString("wlanIp", WlanIp);
            if (CapabilityBitmap.Count > 0)
            {
                w.WriteStartArray("capabilityBitmap");
                foreach (var word in CapabilityBitmap) w.WriteNumberValue(word);
                w.WriteEndArray();
            }
            if (CoapUri is not null) w.WriteString("coapUri", CoapUri);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    /// <summary>
    /// Reads a probe or reply. False with the reason for everything softbus ignores: oversized, not JSON, a field of the
    /// wrong type, a missing or empty deviceId/devicename, a type outside 0–255, a wlanIp that is not an address.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> json, out DiscoveryMessage? message, out string reason)
    {
        message = null;
        if (json.Length > MaxLength)
        {
            reason = $"payload of {json.Length} bytes exceeds {MaxLength}";
            return false;
        }
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Fail($"a JSON {root.ValueKind}, not an object", out reason);
            if (!String(root, "deviceId", out var deviceId, out reason)) return false;
            if (!UdidOf(deviceId!, out var udid)) return Fail("deviceId holds no {\"UDID\":…}", out reason);
            if (!String(root, "devicename", out var name, out reason)) return false;
            if (!root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.Number || !type.TryGetInt32(out var t))
                return Fail("type is missing or not an integer", out reason);
            if (t is < 0 or > 255) return Fail($"type {t} is outside 0-255", out reason);
            if (!String(root, "wlanIp", out var ip, out reason)) return false;
            if (!IPAddress.TryParse(ip, out _)) return Fail($"wlanIp '{ip}' is not an IP address", out reason);
            string? coapUri = null;
            if (root.TryGetProperty("coapUri", out var uri))
            {
                if (uri.ValueKind != JsonValueKind.String) return Fail("coapUri is not a string", out reason);
                coapUri = uri.GetString();
            }
            string? serviceData = null;
            if (root.TryGetProperty("serviceData", out var sd))
            {
                if (sd.ValueKind != JsonValueKind.String) return Fail("serviceData is not a string", out reason);
                serviceData = sd.GetString();
            }
            var bitmap = new List<uint>();
            if (root.TryGetProperty("capabilityBitmap", out var caps))
            {
                if (caps.ValueKind != JsonValueKind.Array) return Fail("capabilityBitmap is not an array", out reason);
                foreach (var c in caps.EnumerateArray())
                {
                    if (c.ValueKind != JsonValueKind.Number || !c.TryGetUInt32(out var word)) return Fail("capabilityBitmap holds a non-integer", out reason);
                    bitmap.Add(word);
                }
            }
            message = new DiscoveryMessage
            {
                Udid = udid!, DeviceName = name!, DeviceType = t, WlanIp = ip!, CoapUri = coapUri, ServiceData = serviceData, CapabilityBitmap = bitmap,
                HicomVersion = root.TryGetProperty("hicomversion", out var hv) && hv.ValueKind == JsonValueKind.String ? hv.GetString()! : "",
                Mode = root.TryGetProperty("mode", out var mode) && mode.ValueKind == JsonValueKind.Number && mode.TryGetInt32(out var m) ? m : 0,
            };
            reason = "";
            return true;
        }
        catch (JsonException e)
        {
            return Fail($"not JSON: {e.Message}", out reason);
        }
    }

    private static bool String(JsonElement root, string name, out string? value, out string reason)
    {
        value = null;
        if (!root.TryGetProperty(name, out var e)) return Fail($"{name} is missing", out reason);
        if (e.ValueKind != JsonValueKind.String) return Fail($"{name} is a {e.ValueKind}, not a string", out reason);
        value = e.GetString();
        if (string.IsNullOrEmpty(value)) return Fail($"{name} is empty", out reason);
        reason = "";
        return true;
    }

    private static bool UdidOf(string deviceId, out string? udid)
    {
        udid = null;
        try
        {
            using var inner = JsonDocument.Parse(deviceId);
            if (inner.RootElement.ValueKind == JsonValueKind.Object && inner.RootElement.TryGetProperty("UDID", out var u) && u.ValueKind == JsonValueKind.String)
                udid = u.GetString();
        }
        catch (JsonException)
        {
        }
        return !string.IsNullOrEmpty(udid);
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }

    public override string ToString() => Encoding.UTF8.GetString(ToJson());
}
