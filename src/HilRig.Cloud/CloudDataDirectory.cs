using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography.X509Certificates;
using HilRig.Cloud.Security;
using HilRig.Update.Bundles;

namespace HilRig.Cloud;

/// <summary>
/// What a cloud keeps in its data directory, and making what is missing (<c>hilrig cloud serve</c> on an empty
/// directory): the signing key of metadata and offers, the OEM upload trust store (empty: no upload is accepted until
/// an OEM key is added), the CA with its key, the server certificate, the database and the first operator token.
/// Keys and tokens are readable by the owner only.
/// </summary>
public sealed class CloudDataDirectory(string root)
{
    /// <summary>A server certificate this close to its end is issued again at start.</summary>
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    private static readonly TimeSpan ServerValidity = TimeSpan.FromDays(365);

    public string Root { get; } = Path.GetFullPath(root);
    public string Database => Path.Combine(Root, "cloud.db");
    public string Files => Path.Combine(Root, "files");
    public string SigningKey => Path.Combine(Root, "signing.pem");
    public string UploadTrust => Path.Combine(Root, "upload-trust.json");
    public string CaCertificate => Path.Combine(Root, "ca.crt");
    public string CaKey => Path.Combine(Root, "ca.key");
    public string ServerCertificate => Path.Combine(Root, "server.crt");
    public string ServerKey => Path.Combine(Root, "server.key");
    public string AdminToken => Path.Combine(Root, "admin.token");
    public string SecurityLog => Path.Combine(Root, "security.log");

    /// <summary>The CA, made (and saved) if the directory has none; a CA certificate without its key, or the reverse, is an error.</summary>
    public CloudCertificateAuthority EnsureCa(DateTimeOffset now, ICollection<string>? created = null)
    {
        Directory.CreateDirectory(Root);
        var (haveCert, haveKey) = (File.Exists(CaCertificate), File.Exists(CaKey));
        if (haveCert && haveKey) return CloudCertificateAuthority.Load(CaCertificate, CaKey);
        if (haveCert != haveKey)
            throw new CloudSetupException($"{(haveCert ? CaCertificate : CaKey)} exists without {(haveCert ? CaKey : CaCertificate)}: restore it, " +
                "or remove both to make a new CA (every unit must then be enrolled again)");
        var ca = CloudCertificateAuthority.Create(now);
        ca.Save(CaCertificate, CaKey);
        created?.Add($"{CaCertificate} (the CA units trust; its key is {CaKey})");
        return ca;
    }

    /// <summary>
    /// Everything but the token (which lives in the database): the signing key and upload trust store at their default
    /// places, the CA, and a server certificate from the CA that names every one of <paramref name="serverNames"/> and
    /// is not about to expire (issued again otherwise: units trust the CA, not this certificate). Returns what it made.
    /// </summary>
    public IReadOnlyList<string> EnsureFiles(CloudOptions options, IEnumerable<string> serverNames, DateTimeOffset now)
    {
        var created = new List<string>();
        Directory.CreateDirectory(Root);
        if (options.SigningKeyPath is null && !File.Exists(SigningKey))
        {
            using var key = Update.Bundles.SigningKey.Generate();
            PemFiles.Write(SigningKey, key.ExportPrivatePem(), PemFiles.Secret);
            created.Add($"{SigningKey} (signs metadata and offers: units trust its public key)");
        }
        if (options.UploadTrustPath is null && !File.Exists(UploadTrust))
        {
            PemFiles.Write(UploadTrust, new TrustStore([]).ToJson(), PemFiles.Public);
            created.Add($"{UploadTrust} (no OEM key yet: add the OEM's public key to accept uploads)");
        }
        using var ca = EnsureCa(now, created);
        var names = serverNames.ToList();
        if (ServerCertificateProblem(ca, names, now) is { } why)
        {
            var (certificate, key) = ca.IssueServer(names, now, ServerValidity);
            PemFiles.Write(ServerKey, key, PemFiles.Secret);
            PemFiles.Write(ServerCertificate, certificate, PemFiles.Public);
            created.Add($"{ServerCertificate} for {string.Join(", ", names)} ({why})");
        }
        return created;
    }

    /// <summary>
    /// The operator token in <c>admin.token</c> (every role), made if the file is missing or names a token the database
    /// does not know (a reset database). The file holds the token alone on one line.
    /// </summary>
    public async Task<string?> EnsureAdminTokenAsync(CloudStore store, DateTimeOffset now)
    {
        if (File.Exists(AdminToken))
        {
            var existing = File.ReadAllText(AdminToken).Trim();
            if (OperatorToken.IdOf(existing, out _) is { } id && await store.ReadAsync(s => s.Token(id)) is { RevokedAt: null } stored && OperatorToken.Matches(existing, stored))
                return null;
        }
        var (token, record) = OperatorToken.New(OperatorRole.All, "admin", now);
        await store.InTransactionAsync(s =>
        {
            s.AddToken(record);
            return true;
        });
        PemFiles.Write(AdminToken, token + "\n", PemFiles.Secret);
        return $"{AdminToken} (operator token {record.Id}, roles {OperatorRoles.Format(record.Roles)})";
    }

    /// <summary>The names a server certificate should carry: loopback, this host's name and addresses, and the listen and public hosts.</summary>
    public static IReadOnlyList<string> ServerNames(Uri listen, Uri? publicUrl)
    {
        var names = new List<string> { "localhost", "127.0.0.1", "::1" };
        foreach (var uri in new[] { listen, publicUrl }.OfType<Uri>())
            if (uri.Host is not ("0.0.0.0" or "[::]" or "::")) names.Add(uri.IdnHost.Trim('[', ']'));
        if (listen.Host is "0.0.0.0" or "[::]" or "::")
        {
            // Listening everywhere: units may dial any of this host's addresses.
            names.Add(Dns.GetHostName());
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up))
                foreach (var a in nic.GetIPProperties().UnicastAddresses)
                    if (!a.Address.IsIPv6LinkLocal) names.Add(a.Address.ToString());
        }
        return names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private string? ServerCertificateProblem(CloudCertificateAuthority ca, IReadOnlyList<string> names, DateTimeOffset now)
    {
        if (!File.Exists(ServerCertificate) || !File.Exists(ServerKey)) return "none yet";
        X509Certificate2 certificate;
        try { certificate = X509Certificate2.CreateFromPemFile(ServerCertificate, ServerKey); }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException) { return $"the old one did not load: {e.Message}"; }
        using (certificate)
        {
            if (certificate.Issuer != ca.Certificate.Subject) return "the old one is from another CA";
            if (certificate.NotAfter.ToUniversalTime() - now.UtcDateTime < RenewBefore) return $"the old one ends {certificate.NotAfter:yyyy-MM-dd}";
            var missing = names.Where(n => !certificate.MatchesHostname(n, allowWildcards: false)).ToList();
            return missing.Count > 0 ? $"the old one did not name {string.Join(", ", missing)}" : null;
        }
    }
}
