using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Streams;

/// <summary>
/// Which protocol one byte-stream pair speaks: the TCP connection's own bytes, or what a layer under it (TLS) decrypted.
/// The protocols are asked in order until one claims the stream; once its client has spoken unclaimed (or a gap hid
/// its start) it stays plain bytes.
/// </summary>
internal sealed class TcpStreamClaim(ushort serverPort, ushort clientPort, IReadOnlyList<ITcpStreamProtocol> protocols, DecoderOptions options)
{
    private long _clientBytes, _serverBytes;

    /// <summary>The protocol decoder that claimed the stream.</summary>
    public ITcpStreamDecoder? Stream { get; private set; }

    /// <summary>No protocol claimed it before its client spoke (or a gap hid its start): plain bytes.</summary>
    public bool Unclaimed { get; private set; }

    public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
    {
        var first = (fromClient ? _clientBytes : _serverBytes) == 0;
        if (fromClient) _clientBytes += bytes.Length;
        else _serverBytes += bytes.Length;
        if (Stream is null && !Unclaimed)
        {
            var start = new TcpStreamStart(serverPort, clientPort, fromClient, first, bytes);
            foreach (var protocol in protocols)
                if (protocol.TryClaim(start, options) is { } decoder)
                {
                    Stream = decoder;
                    break;
                }
            if (Stream is null && start.IsClientStart) Unclaimed = true;
        }
        Stream?.OnBytes(fromClient, bytes, context, output);
    }

    public void OnGap(bool fromClient)
    {
        // Bytes after a hole cannot tell which protocol the stream speaks.
        if (Stream is null) Unclaimed = true;
        Stream?.OnGap(fromClient);
    }
}
