using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Cloud.Security;

/// <summary>An operator's side of the cloud's TLS: trust the cloud's CA alone (no client certificate; operators use tokens).</summary>
public static class CloudTrust
{
    /// <summary>Makes <paramref name="handler"/> accept only a server certificate from <paramref name="ca"/> that names the host dialled.</summary>
    public static SocketsHttpHandler TrustOnly(this SocketsHttpHandler handler, X509Certificate2 ca)
    {
        handler.SslOptions.CertificateChainPolicy = CloudHost.CertificateTrust(ca);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None;
        return handler;
    }

    /// <summary>An HTTP client for an operator: the cloud checked against <c>DATA/ca.crt</c>, <paramref name="token"/> on every request.</summary>
    public static HttpClient OperatorClient(SocketsHttpHandler handler, CloudDataDirectory data, string? token, TimeSpan timeout)
    {
        using var ca = CloudCertificateAuthority.LoadCertificate(data.CaCertificate, "the CA certificate");
        var http = new HttpClient(handler.TrustOnly(X509CertificateLoader.LoadCertificate(ca.RawData))) { Timeout = timeout };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>The token in <c>DATA/admin.token</c>.</summary>
    public static string AdminToken(CloudDataDirectory data) => PemFiles.Read(data.AdminToken, "the admin token").Trim();
}
