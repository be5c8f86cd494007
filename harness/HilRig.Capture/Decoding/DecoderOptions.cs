using HilRig.Capture.Decoding.Grpc;

namespace HilRig.Capture.Decoding;

/// <summary>Which ports carry which protocol, and the gRPC types to decode into.</summary>
public sealed class DecoderOptions
{
    /// <value>5683 and 5684 (RFC 7252 §6.1–6.2; soft-bus discovery uses 5684 without DTLS).</value>
    public HashSet<ushort> CoapPorts { get; init; } = [5683, 5684];

    /// <value>53.</value>
    public HashSet<ushort> DnsPorts { get; init; } = [53];

    /// <value>5353 (RFC 6762).</value>
    public HashSet<ushort> MdnsPorts { get; init; } = [5353];

    /// <summary>TCP ports decoded as HTTP/2 even when the connection preface was not captured. Connections that start with the preface are always decoded.</summary>
    public HashSet<ushort> Http2Ports { get; init; } = [];

    public GrpcMessageRegistry Grpc { get; init; } = new();
}
