using System.Text.Json;
using HilRig.Capture.Decoding.Coap;

namespace HilRig.Capture.Decoding.SoftBus;

/// <summary>
/// The discovery JSON a soft-bus CoAP POST to <c>/device_discover</c> carries: a probe when it has coapUri, a reply when not.
/// Read independently of the product's code: the capture is the witness.
/// </summary>
public sealed record SoftBusDiscovery(string? Udid, string? DeviceName, int? DeviceType, string? WlanIp, string? CoapUri, string? ServiceData, IReadOnlyList<long> CapabilityBitmap)
{
    public bool IsProbe => CoapUri is not null;

    /// <summary>The discovery message of a CoAP message, or null when it is not one (another path, no JSON object).</summary>
    public static SoftBusDiscovery? From(CoapMessage message)
    {
        if (message.UriPath != "/device_discover" || message.Payload.IsEmpty) return null;
        try
        {
            using var doc = JsonDocument.Parse(message.Payload);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            string? udid = null;
            if (Text("deviceId") is { } id)
            {
                try
                {
                    using var inner = JsonDocument.Parse(id);
                    if (inner.RootElement.ValueKind == JsonValueKind.Object && inner.RootElement.TryGetProperty("UDID", out var u) && u.ValueKind == JsonValueKind.String)
                        udid = u.GetString();
                }
                catch (JsonException)
                {
                }
            }
            var bitmap = new List<long>();
            if (root.TryGetProperty("capabilityBitmap", out var caps) && caps.ValueKind == JsonValueKind.Array)
                foreach (var c in caps.EnumerateArray())
                    if (c.TryGetInt64(out var word)) bitmap.Add(word);
            return new SoftBusDiscovery(udid, Text("devicename"), root.TryGetProperty("type", out var t) && t.TryGetInt32(out var type) ? type : null,
                Text("wlanIp"), Text("coapUri"), Text("serviceData"), bitmap);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("softbus_discovery");
        w.WriteString("kind", IsProbe ? "probe" : "reply");
        if (Udid is not null) w.WriteString("udid", Udid);
        if (DeviceName is not null) w.WriteString("devicename", DeviceName);
        if (DeviceType is { } t) w.WriteNumber("type", t);
        if (WlanIp is not null) w.WriteString("wlan_ip", WlanIp);
        if (CoapUri is not null) w.WriteString("coap_uri", CoapUri);
        if (ServiceData is not null) w.WriteString("service_data", ServiceData);
        w.WriteStartArray("capability_bitmap");
        foreach (var word in CapabilityBitmap) w.WriteNumberValue(word);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public override string ToString() => $"discovery {(IsProbe ? "probe" : "reply")} {DeviceName} {WlanIp}{(ServiceData is null ? "" : " " + ServiceData)}";
}
