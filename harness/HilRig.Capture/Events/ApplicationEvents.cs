using System.Text.Json;
using Google.Protobuf;
using HilRig.Capture.Decoding.Coap;
using HilRig.Capture.Decoding.Dns;
using HilRig.Capture.Decoding.Http2;

namespace HilRig.Capture.Events;

public sealed class CoapEvent(FrameContext context, CoapMessage message, string? requestPath = null) : DecodedEvent(context)
{
    public CoapMessage Message { get; } = message;

    /// <summary>For a response: the Uri-Path of the request with the same token between the same endpoints.</summary>
    public string? RequestPath { get; } = requestPath;

    private Decoding.SoftBus.SoftBusDiscovery? _discovery;
    private bool _discoveryRead;

    /// <summary>The soft-bus discovery JSON of a POST to /device_discover, when the message is one.</summary>
    public Decoding.SoftBus.SoftBusDiscovery? Discovery
    {
        get
        {
            if (!_discoveryRead) (_discovery, _discoveryRead) = (Decoding.SoftBus.SoftBusDiscovery.From(Message), true);
            return _discovery;
        }
    }

    public override string Protocol => "coap";

    public override string Summary => Message + (Discovery is { } d ? " " + d : "");

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("type", Message.Type switch { CoapType.Confirmable => "CON", CoapType.NonConfirmable => "NON", CoapType.Acknowledgement => "ACK", _ => "RST" });
        w.WriteString("code", Message.CodeText);
        w.WriteNumber("mid", Message.MessageId);
        w.WriteString("token", Message.TokenHex);
        if (Message.UriPath is { } p) w.WriteString("uri_path", p);
        else if (RequestPath is { } rp) w.WriteString("request_path", rp);
        if (Message.Block1 is { } b1) WriteBlock(w, "block1", b1);
        if (Message.Block2 is { } b2) WriteBlock(w, "block2", b2);
        if (Message.Observe is { } obs) w.WriteNumber("observe", obs);
        if (Message.ContentFormat is { } cf) w.WriteNumber("content_format", cf);
        w.WriteStartArray("options");
        foreach (var o in Message.Options)
        {
            w.WriteStartObject();
            w.WriteNumber("number", o.Number);
            w.WriteString("name", CoapOptionNumber.Name(o.Number));
            if (CoapOptionNumber.IsString(o.Number)) w.WriteString("value", o.AsString());
            else if (CoapOptionNumber.IsUint(o.Number)) w.WriteNumber("value", o.AsUInt());
            else w.WriteString("value", Convert.ToHexString(o.Value.Span).ToLowerInvariant());
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("payload_length", Message.Payload.Length);
        Discovery?.Write(w);
    }

    private static void WriteBlock(Utf8JsonWriter w, string name, CoapBlock b)
    {
        w.WriteStartObject(name);
        w.WriteNumber("num", b.Number);
        w.WriteBoolean("more", b.More);
        w.WriteNumber("size", b.Size);
        w.WriteEndObject();
    }
}

public sealed class DnsEvent(FrameContext context, DnsMessage message, bool multicast) : DecodedEvent(context)
{
    public DnsMessage Message { get; } = message;

    public override string Protocol => multicast ? "mdns" : "dns";

    public override string Summary => Message.ToString();

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("id", Message.Id);
        w.WriteBoolean("response", Message.IsResponse);
        w.WriteNumber("rcode", Message.ResponseCode);
        w.WriteStartArray("questions");
        foreach (var q in Message.Questions)
        {
            w.WriteStartObject();
            w.WriteString("name", q.Name);
            w.WriteString("type", DnsMessage.TypeName(q.Type));
            if (q.UnicastResponse) w.WriteBoolean("unicast_response", true);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteRecords(w, "answers", Message.Answers);
        WriteRecords(w, "authorities", Message.Authorities);
        WriteRecords(w, "additionals", Message.Additionals);
    }

    private static void WriteRecords(Utf8JsonWriter w, string name, IReadOnlyList<DnsRecord> records)
    {
        w.WriteStartArray(name);
        foreach (var r in records)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteString("type", DnsMessage.TypeName(r.Type));
            w.WriteNumber("ttl", r.Ttl);
            w.WriteString("data", r.Data);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}

public sealed class Http2Event(FrameContext context, Http2FrameHeader header, IReadOnlyList<HeaderField>? headers, string? detail) : DecodedEvent(context)
{
    public Http2FrameHeader Header { get; } = header;

    /// <summary>Decoded header list, for HEADERS and PUSH_PROMISE frames whose block ended in this frame.</summary>
    public IReadOnlyList<HeaderField>? Headers { get; } = headers;

    /// <summary>Frame-type details: settings, error code, window increment, ping data.</summary>
    public string? Detail { get; } = detail;

    public string? HeaderValue(string name)
    {
        if (Headers is null) return null;
        foreach (var h in Headers) if (h.Name == name) return h.Value;
        return null;
    }

    public override string Protocol => "http2";

    public override string Summary =>
        $"{Header.Type} stream={Header.StreamId} flags=0x{Header.Flags:x2} len={Header.Length}" +
        (Headers is { } hs ? " " + string.Join(" ", hs.Select(h => $"{h.Name}={h.Value}")) : "") + (Detail is { } d ? " " + d : "");

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("type", Header.Type.ToString());
        w.WriteNumber("stream", Header.StreamId);
        w.WriteNumber("flags", Header.Flags);
        w.WriteNumber("length", Header.Length);
        if (Headers is { } hs)
        {
            w.WriteStartObject("headers");
            foreach (var h in hs) w.WriteString(h.Name, h.Value);
            w.WriteEndObject();
        }
        if (Detail is { } d) w.WriteString("detail", d);
    }
}

/// <summary>Whether a gRPC message went from client to server or back.</summary>
public enum GrpcDirection
{
    Request,
    Response,
}

/// <summary>
/// One length-prefixed gRPC message, decoded into the protobuf type the registry has for its method path
/// (<see cref="Message"/>), or described field by field from the wire format when the path is unknown.
/// </summary>
public sealed class GrpcEvent(FrameContext context, string? path, uint streamId, GrpcDirection direction, bool compressed,
    int length, IMessage? message, string? wireDescription) : DecodedEvent(context)
{
    /// <summary>":path" of the stream, "/package.Service/Method".</summary>
    public string? Path { get; } = path;
    public uint StreamId { get; } = streamId;
    public GrpcDirection Direction { get; } = direction;
    public bool Compressed { get; } = compressed;
    public int Length { get; } = length;
    public IMessage? Message { get; } = message;
    public string? WireDescription { get; } = wireDescription;

    /// <summary>
    /// The message's name for assertions: the set oneof case of the top-level message when there is exactly
    /// one oneof (CMMessages → "PrepareUpdate"), else the protobuf type name, else null.
    /// </summary>
    public string? MessageKind => Message is null ? null : Decoding.Grpc.ProtobufNaming.KindOf(Message);

    public override string Protocol => "grpc";

    public override string Summary =>
        $"{Direction} {Path} stream={StreamId} len={Length}{(MessageKind is { } k ? " " + k : "")} " +
        (Message is not null ? Message.ToString() : WireDescription);

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("path", Path);
        w.WriteNumber("stream", StreamId);
        w.WriteString("direction", Direction == GrpcDirection.Request ? "request" : "response");
        w.WriteNumber("message_length", Length);
        if (Compressed) w.WriteBoolean("compressed", true);
        if (Message is not null)
        {
            w.WriteString("type", Message.Descriptor.FullName);
            if (MessageKind is { } k) w.WriteString("kind", k);
            w.WritePropertyName("message");
            w.WriteRawValue(JsonFormatter.Default.Format(Message));
        }
        else if (WireDescription is not null) w.WriteString("fields", WireDescription);
    }
}
