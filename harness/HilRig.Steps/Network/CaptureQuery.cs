using System.Text.RegularExpressions;
using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding.Coap;
using HilRig.Capture.Events;

namespace HilRig.Steps.Network;

/// <summary>
/// The words capture steps use for kinds of decoded events: "packets", "HTTP requests", "HTTP Range requests",
/// "HTTP responses", "TCP retransmissions", "damaged packets" (a bad IPv4, TCP or UDP checksum: what a corrupting link
/// delivered and its receiver dropped), "CON requests", "CoAP requests", "gRPC messages", or the name of a gRPC
/// message as the update stack speaks of it ("PrepareUpdate", "UpdateStatus"). Singular or plural. "packets" counts frames
/// (one TCP segment is one packet however many events it decodes to); every other kind counts events.
/// </summary>
public static partial class CaptureQuery
{
    public const string Vocabulary =
        "packets, HTTP requests, HTTP Range requests, HTTP responses, TCP retransmissions, damaged packets, CON requests, CoAP requests, gRPC messages, " +
        "discovery probes, discovery replies, auth frames, encrypted frames, auth refusals, session frames, or a gRPC message name such as PrepareUpdate";

    [GeneratedRegex("^[A-Z][A-Za-z0-9]+$")]
    private static partial Regex MessageName();

    public static EventMatch Parse(string what)
    {
        var w = what.Trim();
        var singular = MessageName().IsMatch(w) ? w : w.EndsWith("ies", StringComparison.Ordinal) ? w[..^3] + "y" : w.EndsWith('s') ? w[..^1] : w;
        return singular.ToLowerInvariant() switch
        {
            "packet" => EventMatch.Any,
            "http request" => new("HTTP request", e => e is HttpEvent { Message.IsRequest: true }),
            "http range request" => new("HTTP Range request", e => e is HttpEvent { Message.IsRequest: true } h && h.Message.RangeStart is not null),
            "http response" => new("HTTP response", e => e is HttpEvent { Message.IsRequest: false }),
            "tcp retransmission" => new("TCP retransmission", e => e is TcpEvent { Analysis: TcpAnalysis.Retransmission or TcpAnalysis.PartialRetransmission }),
            "damaged packet" => new("damaged packet", e => e is BadChecksumEvent),
            "con request" => new("CON request", e => e is CoapEvent c && c.Message.Type == CoapType.Confirmable && c.Message.IsRequest),
            "coap request" => EventMatch.CoapRequest(),
            "grpc message" => new("gRPC message", e => e is GrpcEvent),
            "discovery probe" => new("discovery probe", e => e is CoapEvent { Discovery.IsProbe: true }),
            "discovery reply" => new("discovery reply", e => e is CoapEvent { Discovery.IsProbe: false }),
            "auth frame" => new("auth frame", e => e is SoftBusAuthEvent),
            "encrypted frame" => new("encrypted frame", e => e is SoftBusAuthEvent { Encrypted: true } or SoftBusSessionEvent),
            "auth refusal" => new("auth refusal", e => e is SoftBusAuthEvent { MessageCode: 0x8080 }),
            "session frame" => new("session frame", e => e is SoftBusSessionEvent),
            _ when MessageName().IsMatch(w) => EventMatch.Grpc(w),
            _ => throw new ArgumentException($"'{what}' is not a kind of captured event; use {Vocabulary}"),
        };
    }

    /// <summary>Narrows a match to events from one host (and to another, when given).</summary>
    public static EventMatch Between(EventMatch match, HostDirectory hosts, string from, string? to)
    {
        hosts.RequireKnown(from);
        if (to is not null) hosts.RequireKnown(to);
        return match.Narrow($"{match.Name} from {from}{(to is null ? "" : " to " + to)}",
            e => hosts.Is(e.Source, from) && (to is null || hosts.Is(e.Destination, to)));
    }
}
