using System.Net;
using Google.Protobuf;

namespace HilRig.Update.Grpc;

/// <summary>Starts gRPC calls to one server over HTTP/2 cleartext (prior knowledge, no TLS, no upgrade).</summary>
public sealed class GrpcClient(HttpClient http, Uri address, int maxMessageSize = GrpcFrame.DefaultMaxMessageSize)
{
    public Uri Address => address;

    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        EnableMultipleHttp2Connections = true,
        // A UM stream is idle between updates; keep-alive pings find a dead CM without waiting for TCP.
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public GrpcClientCall<TRequest, TResponse> StartDuplex<TRequest, TResponse>(string path, MessageParser<TResponse> parser, CancellationToken ct = default)
        where TRequest : IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(http, address, path, parser, maxMessageSize, ct);
}
