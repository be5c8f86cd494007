using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Update.Security;

/// <summary>
/// The unit's node CA, as provisioning (the factory, or the harness playing it) holds it: it issues every node of the
/// unit a certificate for the CM↔UM channel and stays off the unit (only its certificate, <c>ca.crt</c>, goes on
/// the nodes). ECDSA P-256, like the update stack's other keys. A node certificate's subject CN is the node id; the
/// CM's also carries serverAuth and the names and addresses its UMs dial.
/// </summary>
public sealed class UnitCa : IDisposable
{
    private readonly ECDsa _key;

    private UnitCa(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    public X509Certificate2 Certificate { get; }

    public static UnitCa Create(string unitId, DateTimeOffset? now = null, TimeSpan? validity = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=node CA of unit {unitId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var start = (now ?? DateTimeOffset.UtcNow).AddMinutes(-5);
        return new UnitCa(request.CreateSelfSigned(start, start + (validity ?? TimeSpan.FromDays(3650))), key);
    }

    /// <summary>
    /// A certificate and key for <paramref name="nodeId"/>: clientAuth always, serverAuth too when the node runs the CM,
    /// whose certificate then names <paramref name="cmNames"/> (host names and IP addresses in its UMs' <c>update.cm_url</c>).
    /// </summary>
    public X509Certificate2 Issue(string nodeId, bool cm, IEnumerable<string>? cmNames = null, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={nodeId}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection { NodeCertificates.ClientAuth };
        if (cm) usages.Add(NodeCertificates.ServerAuth);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(nodeId);
        foreach (var name in cmNames ?? [])
        {
            if (IPAddress.TryParse(name, out var address)) names.AddIpAddress(address);
            else names.AddDnsName(name);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var start = notBefore ?? DateTimeOffset.UtcNow.AddMinutes(-5);
        using var issued = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), start, notAfter ?? Certificate.NotAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes <c>node.crt</c>, <c>node.key</c> (mode 0600) and <c>ca.crt</c> for a node into <paramref name="directory"/>.</summary>
    public void WriteNode(string directory, X509Certificate2 node)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, NodeCredentials.CertificateFile), node.ExportCertificatePem());
        var keyPath = Path.Combine(directory, NodeCredentials.KeyFile);
        File.WriteAllText(keyPath, node.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(directory, NodeCredentials.CaFile), Certificate.ExportCertificatePem());
    }

    /// <summary>Issues and writes a node's files in one go; returns the directory.</summary>
    public string Provision(string directory, string nodeId, bool cm, IEnumerable<string>? cmNames = null)
    {
        using var node = Issue(nodeId, cm, cmNames);
        WriteNode(directory, node);
        return directory;
    }

    /// <summary>The node's credentials in memory, as <see cref="NodeCredentials.LoadDirectory"/> would give them.</summary>
    public NodeCredentials Credentials(string nodeId, bool cm, IEnumerable<string>? cmNames = null)
    {
        // Through PEM, exactly as a node loads its files (NodeCredentials.Load).
        using var issued = Issue(nodeId, cm, cmNames);
        using var key = issued.GetECDsaPrivateKey()!;
        return new(X509Certificate2.CreateFromPem(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()),
            X509CertificateLoader.LoadCertificate(Certificate.RawData));
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }
}
