using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Update.Security;

/// <summary>
/// A node's identity on the CM↔UM channel, as provisioning put it on the node: its certificate and key
/// (<c>node.crt</c>, <c>node.key</c>) and the unit's node CA (<c>ca.crt</c>) that every node's certificate chains to.
/// The node id is the certificate's subject common name. Both ends use it: the CM presents it as its server certificate
/// and checks each UM's client certificate against the CA; a UM presents it as its client certificate and checks the
/// CM's server certificate against the CA.
/// </summary>
public sealed class NodeCredentials : IDisposable
{
    public const string CertificateFile = "node.crt";
    public const string KeyFile = "node.key";
    public const string CaFile = "ca.crt";

    public NodeCredentials(X509Certificate2 certificate, X509Certificate2 ca)
    {
        if (!certificate.HasPrivateKey) throw new CredentialException($"the certificate of '{certificate.Subject}' comes without its private key");
        Certificate = certificate;
        Ca = ca;
        NodeId = NodeCertificates.NodeIdOf(certificate) ?? throw new CredentialException($"certificate '{certificate.Subject}' names no node (no CN)");
    }

    public X509Certificate2 Certificate { get; }
    public X509Certificate2 Ca { get; }
    public string NodeId { get; }

    /// <summary>Loads the three PEM files; each error names the file and what is wrong with it.</summary>
    public static NodeCredentials Load(string certificatePath, string keyPath, string caPath)
    {
        var certificatePem = Read(certificatePath, "node certificate");
        var keyPem = Read(keyPath, "node key");
        var caPem = Read(caPath, "node CA certificate");
        X509Certificate2 certificate;
        try { certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new CredentialException($"{certificatePath} with {keyPath}: not a PEM certificate and its matching private key ({e.Message})", e);
        }
        X509Certificate2 ca;
        try { ca = X509Certificate2.CreateFromPem(caPem); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            certificate.Dispose();
            throw new CredentialException($"{caPath}: not a PEM certificate ({e.Message})", e);
        }
        return new NodeCredentials(certificate, ca);
    }

    /// <summary>Loads <c>node.crt</c>, <c>node.key</c> and <c>ca.crt</c> from one directory.</summary>
    public static NodeCredentials LoadDirectory(string directory) =>
        Load(Path.Combine(directory, CertificateFile), Path.Combine(directory, KeyFile), Path.Combine(directory, CaFile));

    private static string Read(string path, string what)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new CredentialException($"{path}: cannot read the {what} ({e.Message})", e); }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        Ca.Dispose();
    }
}

public sealed class CredentialException(string message, Exception? inner = null) : Exception(message, inner);
