using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Cloud.Security;

/// <summary>
/// The cloud's own certificate authority (P-256, ECDSA with SHA-256): it issues each unit a client certificate with the
/// unit id as the subject's common name, and the cloud a server certificate for the names units dial. Units trust this
/// CA alone for the cloud, and the cloud trusts it alone for units, so no public CA can speak for either side.
/// </summary>
public sealed class CloudCertificateAuthority : IDisposable
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "TLS Web Client Authentication");
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "TLS Web Server Authentication");

    private readonly ECDsa _key;

    private CloudCertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (no private key): what units get as <c>ca.crt</c>.</summary>
    public X509Certificate2 Certificate { get; }

    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>A new CA, valid 20 years from a day ago (clocks of units drift), named with a random suffix unless <paramref name="name"/> is given.</summary>
    public static CloudCertificateAuthority Create(DateTimeOffset now, X500DistinguishedName? name = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name ?? new X500DistinguishedName($"CN=HilRig cloud CA {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}, O=HilRig"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var withKey = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        return new CloudCertificateAuthority(X509CertificateLoader.LoadCertificate(withKey.RawData), key);
    }

    /// <summary>Loads <c>ca.crt</c> and <c>ca.key</c>; a file that is not what it should be is named with the reason.</summary>
    public static CloudCertificateAuthority Load(string certificatePath, string keyPath)
    {
        var certificate = LoadCertificate(certificatePath, "the CA certificate");
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(PemFiles.Read(keyPath, "the CA key"));
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new CloudSetupException($"{keyPath}: not a PEM EC private key ({e.Message})", e);
        }
        using var mine = certificate.GetECDsaPublicKey();
        if (mine is null || !mine.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            key.Dispose();
            throw new CloudSetupException($"{keyPath}: this key does not belong to the CA certificate {certificatePath}");
        }
        return new CloudCertificateAuthority(certificate, key);
    }

    /// <summary>A PEM certificate file (the first certificate in it), or a <see cref="CloudSetupException"/> naming the file.</summary>
    public static X509Certificate2 LoadCertificate(string path, string what)
    {
        var pem = PemFiles.Read(path, what);
        try { return X509Certificate2.CreateFromPem(pem); }
        catch (CryptographicException e) { throw new CloudSetupException($"{path}: not a PEM certificate ({e.Message})", e); }
    }

    public void Save(string certificatePath, string keyPath)
    {
        PemFiles.Write(keyPath, _key.ExportPkcs8PrivateKeyPem(), PemFiles.Secret);
        PemFiles.Write(certificatePath, CertificatePem, PemFiles.Public);
    }

    /// <summary>A client certificate for <paramref name="unitId"/> (already validated), with a fresh key, valid between the two times.</summary>
    public IssuedUnitCertificate IssueUnit(string unitId, DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedNameBuilder();
        name.AddOrganizationName("HilRig unit");
        name.AddCommonName(unitId);
        var request = new CertificateRequest(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuth], critical: false));
        using var certificate = Sign(request, notBefore, notAfter);
        var serial = certificate.SerialNumber;
        return new IssuedUnitCertificate(
            certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(),
            new IssuedCertificate(serial, unitId, notBefore, notAfter, now));
    }

    /// <summary>The cloud's server certificate and key (PEM) for the DNS names and IP addresses in <paramref name="names"/>.</summary>
    public (string CertificatePem, string KeyPem) IssueServer(IEnumerable<string> names, DateTimeOffset now, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=HilRig cloud, O=HilRig", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names.Distinct(StringComparer.OrdinalIgnoreCase))
            if (IPAddress.TryParse(n, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(n);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = Sign(request, now.AddDays(-1), now + validity);
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        // RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random bytes make serials unique without a counter.
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7f) | 0x40);
        if (notAfter > Certificate.NotAfter) notAfter = Certificate.NotAfter;
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore, notAfter, serial);
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}

/// <summary>A unit's certificate and private key as PEM, and the record the cloud keeps of it.</summary>
public sealed record IssuedUnitCertificate(string CertificatePem, string KeyPem, IssuedCertificate Record);
