using System.Text.Json;

namespace HilRig.Capture.Events;

/// <summary>One SASL line of an AllJoyn router connect (<c>AUTH ANONYMOUS</c>, <c>OK …</c>, <c>INFORM_PROTO_VERSION n</c>, <c>BEGIN …</c>), or the client's opening NUL as "\0".</summary>
public sealed class AllJoynSaslEvent(FrameContext context, string line, bool fromClient) : DecodedEvent(context)
{
    public string Line { get; } = line;

    public bool FromClient { get; } = fromClient;

    public override string Protocol => "alljoyn-sasl";

    public override string Summary => $"{(FromClient ? "C" : "S")}: {Line}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("line", Line);
        w.WriteBoolean("from_client", FromClient);
    }
}

/// <summary>One AllJoyn (D-Bus) message on a router link after BEGIN: type, serial, interface and member.</summary>
public sealed class AllJoynMessageEvent(FrameContext context, int type, uint serial, string? iface, string? member, uint? replySerial, uint length)
    : DecodedEvent(context)
{
    public int Type { get; } = type;
    public uint Serial { get; } = serial;
    public string? Interface { get; } = iface;
    public string? Member { get; } = member;
    public uint? ReplySerial { get; } = replySerial;
    public uint Length { get; } = length;

    public static string TypeName(int type) => type switch { 1 => "call", 2 => "reply", 3 => "error", 4 => "signal", _ => $"type{type}" };

    public override string Protocol => "alljoyn";

    public override string Summary =>
        $"{TypeName(Type)} serial={Serial}" + (Member is null ? "" : $" {Interface}.{Member}") + (ReplySerial is { } r ? $" reply-to={r}" : "") + $" len={Length}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteString("type", TypeName(Type));
        w.WriteNumber("serial", Serial);
        if (Interface is not null) w.WriteString("interface", Interface);
        if (Member is not null) w.WriteString("member", Member);
        if (ReplySerial is { } r) w.WriteNumber("reply_serial", r);
        w.WriteNumber("len", Length);
    }
}
