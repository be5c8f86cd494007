using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using HilRig.Update.Security;

namespace HilRig.Update.Grpc;

/// <summary>
/// The UM's channel to its CM: Grpc.Net.Client on a SocketsHttpHandler that pings an idle connection (a CM that lost
/// power sends no FIN) and gives up on a connect that does not complete. With <see cref="NodeCredentials"/> (an
/// <c>https://</c> CM URL) it is mutual TLS 1.3: the UM presents its node certificate and accepts only a CM whose
/// certificate is of the same unit's node CA, for serverAuth, and names the host the UM dials.
/// </summary>
public static class UmChannel
{
    public static GrpcChannel Create(Uri cm, GrpcLinkOptions options, NodeCredentials? credentials = null) =>
        GrpcChannel.ForAddress(cm, new GrpcChannelOptions
        {
            HttpHandler = Handler(options, credentials),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
        });

    /// <summary>The HTTP handler under the channel: keep-alive, connect timeout, and the node's TLS when it has credentials.</summary>
    public static SocketsHttpHandler Handler(GrpcLinkOptions options, NodeCredentials? credentials)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            KeepAlivePingDelay = options.KeepAlivePingDelay,
            KeepAlivePingTimeout = options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        if (credentials is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificates = [credentials.Certificate],
                LocalCertificateSelectionCallback = (_, _, _, _, _) => credentials.Certificate,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && certificate is not null &&
                    NodeCertificates.Problem(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()),
                        credentials.Ca, NodeCertificates.ServerAuth, DateTimeOffset.UtcNow) is null,
            };
        }
        return handler;
    }
}
