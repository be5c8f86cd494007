using System.Text.Json;
using HilRig.Capture.Decoding.Transport;

namespace HilRig.Capture.Events;

public sealed class UdpEvent(FrameContext context, UdpDatagram udp) : DecodedEvent(context)
{
    public UdpDatagram Udp { get; } = udp;

    public override string Protocol => "udp";

    public override string Summary => $"len={Udp.PayloadLength}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("srcport", Udp.SourcePort);
        w.WriteNumber("dstport", Udp.DestinationPort);
        w.WriteNumber("len", Udp.PayloadLength);
    }
}

/// <summary>What reassembly concluded about a segment's data.</summary>
public enum TcpAnalysis
{
    None,
    /// <summary>All of its data had been seen before.</summary>
    Retransmission,
    /// <summary>Its data starts beyond the next expected byte: something before it is missing or late.</summary>
    OutOfOrder,
    /// <summary>Part of its data had been seen before; the new part was used.</summary>
    PartialRetransmission,
    /// <summary>Zero or one byte at the next expected sequence number minus one: a keep-alive (RFC 9293 §3.8.4), not data.</summary>
    KeepAlive,
}

public sealed class TcpEvent(FrameContext context, TcpSegment tcp, int payloadLength, TcpAnalysis analysis) : DecodedEvent(context)
{
    public TcpSegment Tcp { get; } = tcp;
    public int PayloadLength { get; } = payloadLength;
    public TcpAnalysis Analysis { get; } = analysis;

    public override string Protocol => "tcp";

    public override string Summary => $"[{Tcp}] seq={Tcp.Sequence} ack={Tcp.Acknowledgment} len={PayloadLength}{(Analysis != TcpAnalysis.None ? " " + Analysis : "")}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("srcport", Tcp.SourcePort);
        w.WriteNumber("dstport", Tcp.DestinationPort);
        w.WriteString("flags", Tcp.ToString());
        w.WriteNumber("seq", Tcp.Sequence);
        w.WriteNumber("ack", Tcp.Acknowledgment);
        w.WriteNumber("len", PayloadLength);
        if (Analysis != TcpAnalysis.None) w.WriteString("analysis", Analysis.ToString().ToLowerInvariant());
    }
}

/// <summary>
/// Bytes of a TCP stream the capture never held (lost by the capture, not by the network: the receiver acknowledged them,
/// the connection was reset, the capture ended, or waiting for them would exceed the reassembly memory bound). Stream
/// decoders above (HTTP/2, HTTP/1.x) stop decoding that direction here rather than misread what follows.
/// </summary>
public sealed class TcpGapEvent(FrameContext context, long streamOffset, long missing) : DecodedEvent(context)
{
    /// <summary>Offset of the first missing byte in the reassembled stream of this direction.</summary>
    public long StreamOffset { get; } = streamOffset;

    public long Missing { get; } = missing;

    public override string Protocol => "tcp";

    public override string Summary => $"[{Missing} bytes missing in capture] at stream offset {StreamOffset}";

    protected override void WriteFields(Utf8JsonWriter w)
    {
        w.WriteNumber("srcport", Context.Source.Port ?? 0);
        w.WriteNumber("dstport", Context.Destination.Port ?? 0);
        w.WriteString("analysis", "bytes_missing");
        w.WriteNumber("missing", Missing);
        w.WriteNumber("stream_offset", StreamOffset);
    }
}

/// <summary>A TLS hello (client random, server name, ALPN; version and suite), or why a connection was not decrypted.</summary>
public sealed class TlsEvent(FrameContext context, string kind, string summary, string? serverName, string? alpn) : DecodedEvent(context)
{
    /// <summary><c>client-hello</c>, <c>server-hello</c>, <c>hello-retry-request</c> or <c>not-decrypted</c>.</summary>
    public string Kind { get; } = kind;

    public string? ServerName { get; } = serverName;

    public string? Alpn { get; } = alpn;

    public override string Protocol => "tls";

    public override string Summary { get; } = summary;

    protected override void WriteFields(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteString("kind", Kind);
        if (ServerName is not null) w.WriteString("server_name", ServerName);
        if (Alpn is not null) w.WriteString("alpn", Alpn);
        w.WriteString("summary", Summary);
    }
}
