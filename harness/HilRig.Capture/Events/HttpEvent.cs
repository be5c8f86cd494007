using System.Text.Json;
using HilRig.Capture.Decoding.Http1;

namespace HilRig.Capture.Events;

/// <summary>One HTTP/1.x request or response header block (the body is framed and skipped, not kept).</summary>
public sealed class HttpEvent(FrameContext context, Http1Message message) : DecodedEvent(context)
{
    public Http1Message Message { get; } = message;

    public override string Protocol => "http";

    public override string Summary => Message.ToString();

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("type", Message.IsRequest ? "request" : "response");
        if (Message.IsRequest)
        {
            w.WriteString("method", Message.Method);
            w.WriteString("uri", Message.Target);
        }
        else
        {
            w.WriteNumber("status", Message.Status);
            w.WriteString("reason", Message.Reason);
        }
        w.WriteString("version", Message.Version);
        w.WriteStartObject("headers");
        foreach (var h in Message.Headers) w.WriteString(h.Key.ToLowerInvariant(), h.Value);
        w.WriteEndObject();
    }
}
