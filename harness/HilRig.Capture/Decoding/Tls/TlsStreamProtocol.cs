using HilRig.Capture.Decoding.Streams;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Tls;

/// <summary>
/// TLS, when the client opens with a ClientHello: the records are decrypted with <see cref="DecoderOptions.TlsKeys"/>
/// and the application bytes inside are claimed by the other stream protocols, so HTTP/1.x, HTTP/2 and gRPC inside TLS
/// decode as in the clear.
/// </summary>
public sealed class TlsStreamProtocol : ITcpStreamProtocol
{
    public string Name => "tls";

    public ITcpStreamDecoder? TryClaim(in TcpStreamStart start, DecoderOptions options) =>
        start.IsClientStart && TlsConnectionDecoder.LooksLikeClientHello(start.Bytes) ? new Decoder(start, options) : null;

    private sealed class Decoder : ITcpStreamDecoder
    {
        private readonly TlsConnectionDecoder _tls;
        private readonly TcpStreamClaim _inner;

        // The frame whose bytes are being decrypted (already that direction's context): the plaintext sink runs inside
        // OnBytes and reports under it.
        private FrameContext _context;
        private List<DecodedEvent>? _output;

        public Decoder(in TcpStreamStart start, DecoderOptions options)
        {
            // TLS inside TLS is not a thing: the plaintext is offered to every other protocol.
            var inner = options.StreamProtocols.Where(p => p is not TlsStreamProtocol).ToList();
            _inner = new TcpStreamClaim(start.ServerPort, start.ClientPort, inner, options);
            _tls = new TlsConnectionDecoder(options.TlsKeys, (fromClient, plain) => _inner.OnBytes(fromClient, plain, _context, _output!));
        }

        public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
        {
            _context = context;
            _output = output;
            _tls.OnBytes(fromClient, bytes, context, output);
        }

        public void OnGap(bool fromClient)
        {
            _tls.OnGap(fromClient);
            _inner.OnGap(fromClient);
        }
    }
}
