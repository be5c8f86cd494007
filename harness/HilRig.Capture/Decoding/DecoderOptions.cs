using HilRig.Capture.Decoding.Grpc;
using HilRig.Capture.Decoding.Transport;

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

    /// <summary>TLS 1.3 secrets (SSLKEYLOGFILE) of connections to decrypt; a TLS connection without them is reported, not decoded.</summary>
    public Tls.TlsKeyLog TlsKeys { get; init; } = Tls.TlsKeyLog.Empty;

    /// <summary>The TCP protocols a connection may speak, asked in order (TLS, HTTP/2, HTTP/1.x, soft-bus frames by default); add one to decode a new protocol.</summary>
    public IReadOnlyList<Streams.ITcpStreamProtocol> StreamProtocols { get; init; } = Streams.TcpStreamProtocols.Default;

    /// <summary>
    /// Checks IPv4 header, TCP and UDP checksums; a packet that fails becomes a <c>BadChecksumEvent</c> and is dropped
    /// as its receiver drops it, so a corrupted first copy cannot stand in for the clean retransmission. Off by default,
    /// as in tshark: a capture on a receiving host whose NIC merges segments (LRO) holds packets whose checksums no
    /// longer add up. Checksums the sender left to its NIC, frames the capture cut short and source-routed packets
    /// (whose checksum covers an address from the route) pass unchecked.
    /// </summary>
    public bool VerifyChecksums { get; init; }

    /// <summary>Out-of-order bytes one TCP direction may hold while waiting for a gap to fill.</summary>
    public int MaxTcpPendingBytesPerStream { get; init; } = TcpReassembler.DefaultMaxPendingBytes;

    /// <summary>Out-of-order bytes all TCP streams of the capture may hold together.</summary>
    public long MaxTcpPendingBytes { get; init; } = TcpBufferBudget.DefaultMaxBytes;

    /// <summary>TCP connections tracked at once; beyond it the least recently active quarter is forgotten.</summary>
    public int MaxTcpConnections { get; init; } = 65536;
}
