using System.Security.Authentication;
using HilRig.Update.Cm;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Security;

/// <summary>
/// The CM's side of mutual TLS 1.3 with its UMs, for every listener a UM talks to (RegisterUM and the file server): the
/// CM presents its node certificate, and a peer whose certificate is not one of this unit's node CA, not for clientAuth
/// or out of its validity period does not get past the handshake; one without a certificate is refused by the listener at
/// its first request (<see cref="IsRefusedWithoutCertificate"/>). The refusal and its reason go to the log and to
/// <see cref="UmRegistry.Refusals"/>.
/// </summary>
public static class NodeTls
{
    /// <param name="refused">Where a refusal goes: peer, reason (<see cref="UmRegistry.Refused"/>).</param>
    public static void Configure(HttpsConnectionAdapterOptions https, NodeCredentials credentials, Action<string, string> refused, TimeProvider time, ILogger? log, string listener)
    {
        https.ServerCertificate = credentials.Certificate;
        https.SslProtocols = SslProtocols.Tls13;
        // Allow, not Require: a peer with no certificate gets through the handshake only to be refused at its first request
        // (Unauthenticated, 401), where the refusal can say so; Kestrel fails a Require handshake without asking us.
        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
        // Kestrel calls OnAuthenticate on the connection's flow just before the handshake that calls the validation, so
        // the peer set here is the one being validated, and a refusal can name it. (Its own validation callback cannot be
        // replaced there: SslStream refuses a second one.)
        var peer = new AsyncLocal<string?>();
        https.OnAuthenticate = (connection, _) => peer.Value = connection.RemoteEndPoint?.ToString();
        https.ClientCertificateValidation = (certificate, _, _) =>
        {
            var problem = NodeCertificates.Problem(certificate, credentials.Ca, NodeCertificates.ClientAuth, time.GetUtcNow());
            if (problem is null) return true;
            log?.LogWarning("{Listener}: connection from {Peer} refused in the TLS handshake: {Problem}", listener, peer.Value, problem);
            refused(peer.Value ?? "?", $"TLS ({listener}): {problem}");
            return false;
        };
    }

    /// <summary>
    /// For a listener's request: true (and the refusal recorded) when the connection is TLS without a client certificate.
    /// A certificate that is there passed <see cref="NodeCertificates.Problem"/> in the handshake.
    /// </summary>
    public static bool IsRefusedWithoutCertificate(Microsoft.AspNetCore.Http.HttpContext context, Action<string, string> refused, string listener)
    {
        if (!context.Request.IsHttps || context.Connection.ClientCertificate is not null) return false;
        refused($"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}", $"TLS ({listener}): no certificate presented");
        return true;
    }
}
