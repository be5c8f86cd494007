using System.Text.Json;

namespace HilRig.Capture.Events;

/// <summary>
/// One decoded protocol event: the top-most protocol unit a frame carried (a CoAP message, a gRPC message,
/// an HTTP/2 frame, a TCP segment with nothing above it…). Every frame yields at least one event; a frame
/// that completes several PDUs (HTTP/2 frames in one segment) yields several.
/// </summary>
public abstract class DecodedEvent
{
    protected DecodedEvent(FrameContext context) => Context = context;

    public FrameContext Context { get; }

    /// <summary>1-based frame number, as tshark's frame.number.</summary>
    public long Frame => Context.Frame;

    public long TimestampNanos => Context.TimestampNanos;

    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(TimestampNanos / 100);

    public Endpoint Source => Context.Source;

    public Endpoint Destination => Context.Destination;

    /// <summary>"coap", "grpc", "http2", "dns", "mdns", "tcp", "udp", "arp", "ip", "malformed".</summary>
    public abstract string Protocol { get; }

    /// <summary>A one-line human description of the protocol fields.</summary>
    public abstract string Summary { get; }

    /// <summary>Writes the protocol object's properties (the writer is inside that object).</summary>
    protected abstract void WriteFields(Utf8JsonWriter writer);

    /// <summary>
    /// Writes the event as one JSON object: time, frame, src, dst, protocol and an object named after the
    /// protocol with its fields, e.g. <c>"coap": {"type": "CON", "code": "0.01", "mid": 1, "token": "cafe", "uri_path": "/time"}</c>.
    /// </summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("time", Time.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ"));
        writer.WriteNumber("frame", Frame);
        writer.WriteString("src", Source.ToString());
        writer.WriteString("dst", Destination.ToString());
        if (Context.Direction != FrameDirection.Unknown) writer.WriteString("direction", Context.Direction == FrameDirection.Inbound ? "in" : "out");
        if (Context.InterfaceId != 0) writer.WriteNumber("interface", Context.InterfaceId);
        writer.WriteString("protocol", Protocol);
        writer.WriteStartObject(Protocol);
        WriteFields(writer);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public string ToJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) WriteJson(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public override string ToString() => $"#{Frame} {Time:HH:mm:ss.ffffff} {Source} → {Destination} {Protocol} {Summary}";
}
