using Grpc.Net.Client;

namespace HilRig.Update.Grpc;

/// <summary>
/// The UM's channel to its CM: Grpc.Net.Client on a SocketsHttpHandler that pings an idle connection (a CM that lost
/// power sends no FIN) and gives up on a connect that does not complete.
/// </summary>
public static class UmChannel
{
    public static GrpcChannel Create(Uri cm, GrpcLinkOptions options) =>
        GrpcChannel.ForAddress(cm, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = options.KeepAlivePingDelay,
                KeepAlivePingTimeout = options.KeepAlivePingTimeout,
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                ConnectTimeout = TimeSpan.FromSeconds(10),
            },
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
        });
}
