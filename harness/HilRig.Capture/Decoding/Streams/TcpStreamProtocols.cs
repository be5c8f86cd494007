using HilRig.Capture.Decoding.AllJoyn;
using HilRig.Capture.Decoding.Http1;
using HilRig.Capture.Decoding.Http2;
using HilRig.Capture.Decoding.SoftBus;
using HilRig.Capture.Decoding.Tls;

namespace HilRig.Capture.Decoding.Streams;

/// <summary>The TCP protocols decoded by default, in the order they are asked.</summary>
public static class TcpStreamProtocols
{
    public static IReadOnlyList<ITcpStreamProtocol> Default { get; } = [new TlsStreamProtocol(), new Http2Protocol(), new Http1Protocol(), new SoftBusFramesProtocol(), new AllJoynLinkProtocol()];

    /// <summary>HTTP/2: on a configured port whatever is seen first, else when the client opens with the connection preface.</summary>
    private sealed class Http2Protocol : ITcpStreamProtocol
    {
        public string Name => "http2";

        public ITcpStreamDecoder? TryClaim(in TcpStreamStart start, DecoderOptions options)
        {
            if (options.Http2Ports.Contains(start.ServerPort)) return new Http2ConnectionDecoder(options.Grpc);
            if (!start.IsClientStart) return null;
            var preface = Http2FrameReader.ClientPreface;
            var n = Math.Min(start.Bytes.Length, preface.Length);
            return start.Bytes[..n].SequenceEqual(preface[..n]) ? new Http2ConnectionDecoder(options.Grpc) : null;
        }
    }

    /// <summary>HTTP/1.x: when the client's first bytes are a request line.</summary>
    private sealed class Http1Protocol : ITcpStreamProtocol
    {
        public string Name => "http1";

        public ITcpStreamDecoder? TryClaim(in TcpStreamStart start, DecoderOptions options) =>
            start.IsClientStart && Http1ConnectionDecoder.LooksLikeRequest(start.Bytes) ? new Http1ConnectionDecoder() : null;
    }
}
