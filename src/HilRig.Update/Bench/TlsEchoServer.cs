using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace HilRig.Update.Bench;

/// <summary>
/// The baseline of the cloud's check-in figures: Kestrel with the cloud's TLS settings (its server certificate, client
/// certificates asked for and checked against its CA at the handshake) answering every request with the same small
/// "nothing to do" after reading its body — the transport with none of the cloud's work behind it.
/// </summary>
public static class TlsEchoServer
{
    private static readonly byte[] Answer = """{"action":"none","reason":"echo"}"""u8.ToArray();

    public static Task<KestrelHost> StartAsync(X509Certificate2 serverCertificate, X509Certificate2 ca, CancellationToken ct)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, DisableCertificateDownloads = true };
        policy.CustomTrustStore.Add(ca);
        return KestrelHost.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), HttpProtocols.Http1AndHttp2, app => app.Run(async context =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(Answer, context.RequestAborted);
        }), 64 * 1024, null, ct, https =>
        {
            https.ServerCertificate = serverCertificate;
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.ClientCertificateValidation = (_, _, errors) => errors == System.Net.Security.SslPolicyErrors.None;
            https.OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = policy;
        });
    }
}
