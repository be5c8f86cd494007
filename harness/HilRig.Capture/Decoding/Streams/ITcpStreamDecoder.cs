using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Streams;

/// <summary>Decodes the two reassembled byte streams of one TCP connection into events.</summary>
public interface ITcpStreamDecoder
{
    /// <summary>In-order bytes of one direction (<paramref name="fromClient"/>), with the context of the frame that completed them.</summary>
    void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output);

    /// <summary>Bytes of that direction the capture never held: stop decoding it rather than misread what follows.</summary>
    void OnGap(bool fromClient);
}

/// <summary>What a protocol sees when it is asked whether a connection is its own.</summary>
/// <param name="FromClient">Whether <paramref name="Bytes"/> are the client's.</param>
/// <param name="IsFirst">True when these are the first bytes of that direction.</param>
public readonly ref struct TcpStreamStart(ushort serverPort, ushort clientPort, bool fromClient, bool isFirst, ReadOnlySpan<byte> bytes)
{
    public ushort ServerPort { get; } = serverPort;
    public ushort ClientPort { get; } = clientPort;
    public bool FromClient { get; } = fromClient;
    public bool IsFirst { get; } = isFirst;
    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    /// <summary>The client's first bytes: where a protocol that the client speaks first is recognised.</summary>
    public bool IsClientStart => FromClient && IsFirst;
}

/// <summary>
/// A TCP protocol the capture decoder knows: asked, in <see cref="DecoderOptions.StreamProtocols"/> order, for each
/// undecided connection's bytes until one claims it. A connection whose client has spoken without being claimed is left
/// as plain TCP. A new protocol plugs in here, without touching the connection tracker.
/// </summary>
public interface ITcpStreamProtocol
{
    string Name { get; }

    /// <summary>A decoder for the connection when it speaks this protocol, else null.</summary>
    ITcpStreamDecoder? TryClaim(in TcpStreamStart start, DecoderOptions options);
}
