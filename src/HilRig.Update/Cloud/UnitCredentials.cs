using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Update.Cloud;

/// <summary>
/// What a unit proves itself to the cloud with, and what it trusts the cloud by: its client certificate and key
/// (<c>unit.crt</c>, <c>unit.key</c>) and the cloud's CA (<c>ca.crt</c>), as <c>hilrig cloud enroll</c> writes them. The
/// handler it makes presents the certificate on every connection and accepts only a server certificate from that CA
/// naming the host dialled — never the machine's public roots, which would let any public CA speak for the cloud.
/// </summary>
public sealed class UnitCredentials : IDisposable
{
    public const string CertificateFile = "unit.crt";
    public const string KeyFile = "unit.key";
    public const string CaFile = "ca.crt";

    private readonly SslStreamCertificateContext _context;
    private readonly X509ChainPolicy _trust;

    private UnitCredentials(X509Certificate2 certificate, X509Certificate2 ca)
    {
        Certificate = certificate;
        Ca = ca;
        UnitId = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        // Built once: making the context per connection builds the certificate's chain each time.
        _context = SslStreamCertificateContext.Create(certificate, null, offline: true);
        _trust = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        _trust.CustomTrustStore.Add(ca);
    }

    public X509Certificate2 Certificate { get; }

    public X509Certificate2 Ca { get; }

    /// <summary>The unit id the certificate names (its subject's common name).</summary>
    public string UnitId { get; }

    /// <summary>Why the last server certificate was refused, for an error a person can act on (null: none was).</summary>
    public string? LastServerRefusal { get; private set; }

    /// <summary>Credentials held in memory (a simulated fleet's units), from PEM text.</summary>
    public static UnitCredentials FromPem(string certificatePem, string keyPem, string caPem) =>
        new(X509Certificate2.CreateFromPem(certificatePem, keyPem), X509Certificate2.CreateFromPem(caPem));

    /// <summary>Loads <c>unit.crt</c>, <c>unit.key</c> and <c>ca.crt</c> from <paramref name="directory"/>.</summary>
    public static UnitCredentials Load(string directory) =>
        Load(Path.Combine(directory, CertificateFile), Path.Combine(directory, KeyFile), Path.Combine(directory, CaFile));

    /// <summary>Loads the three PEM files; one that is missing, malformed or does not fit the others is named with the reason.</summary>
    public static UnitCredentials Load(string certificatePath, string keyPath, string caPath)
    {
        var ca = ReadCertificate(caPath, "the cloud's CA certificate");
        X509Certificate2 certificate;
        try
        {
            using var plain = ReadCertificate(certificatePath, "the unit certificate");
            var keyPem = Read(keyPath, "the unit key");
            using var key = ECDsa.Create();
            try { key.ImportFromPem(keyPem); }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                throw new UnitCredentialsException($"{keyPath}: not a PEM EC private key ({e.Message})", e);
            }
            try { certificate = plain.CopyWithPrivateKey(key); }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
                throw new UnitCredentialsException($"{keyPath}: this key does not belong to the certificate in {certificatePath} ({e.Message})", e);
            }
        }
        catch
        {
            ca.Dispose();
            throw;
        }
        if (certificate.Issuer != ca.Subject)
        {
            var message = $"{certificatePath}: issued by '{certificate.Issuer}', not by the CA in {caPath} ('{ca.Subject}')";
            certificate.Dispose();
            ca.Dispose();
            throw new UnitCredentialsException(message);
        }
        return new UnitCredentials(certificate, ca);
    }

    /// <summary>
    /// A handler for the unit's calls to the cloud: its certificate on every TLS connection, the cloud checked against
    /// the CA, and a refused server certificate reported with the reason (a <see cref="HttpRequestError.SecureConnectionError"/>).
    /// </summary>
    public HttpMessageHandler CreateHandler() => new ExplainedTls(this, ConfigureTls(new SocketsHttpHandler()));

    /// <summary>Sets <paramref name="handler"/>'s TLS options as <see cref="CreateHandler"/> does (for a handler with its own connect callback).</summary>
    public SocketsHttpHandler ConfigureTls(SocketsHttpHandler handler)
    {
        handler.SslOptions.ClientCertificateContext = _context;
        handler.SslOptions.CertificateChainPolicy = _trust;
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None) return true;
            LastServerRefusal = errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)
                ? "the server presented no certificate"
                : errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors)
                    ? $"the server's certificate '{certificate?.Subject}' is not from the cloud's CA '{Ca.Subject}'"
                    : $"the server's certificate '{certificate?.Subject}' does not name the host dialled";
            return false;
        };
        return handler;
    }

    /// <summary>Turns .NET's "the remote certificate was rejected" into why it was.</summary>
    private sealed class ExplainedTls(UnitCredentials credentials, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            try { return await base.SendAsync(request, ct); }
            catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException && credentials.LastServerRefusal is { } why)
            {
                throw new HttpRequestException(HttpRequestError.SecureConnectionError, $"TLS with {request.RequestUri?.GetLeftPart(UriPartial.Authority)} refused: {why}", e);
            }
        }
    }

    private static X509Certificate2 ReadCertificate(string path, string what)
    {
        var pem = Read(path, what);
        try { return X509Certificate2.CreateFromPem(pem); }
        catch (CryptographicException e) { throw new UnitCredentialsException($"{path}: not a PEM certificate ({e.Message})", e); }
    }

    private static string Read(string path, string what)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnitCredentialsException($"{path}: cannot read {what} ({e.Message})", e);
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Ca.Dispose();
    }
}

/// <summary>A unit's credential files cannot be used; the message names the file and why.</summary>
public sealed class UnitCredentialsException(string message, Exception? inner = null) : Exception(message, inner);
