using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace HilRig.Update.Bundles;

/// <summary>
/// A PEM file of the keys allowed to sign, as <c>rauc --keyring</c> and <c>mender-artifact validate -k</c> take: one or
/// more <c>PUBLIC KEY</c> blocks (valid without end) and <c>CERTIFICATE</c> blocks (valid from notBefore to notAfter of
/// the certificate; only the key is used, no chain is built). Text between blocks is ignored, as openssl writes it.
/// A public key is named after the file and its block (<c>keys.pem#2</c>), a certificate by its subject's common name.
/// An error names the file, line and block.
/// </summary>
public static class PemKeyring
{
    public static IReadOnlyList<TrustedKey> Parse(string text, string source)
    {
        var keys = new List<TrustedKey>();
        var rest = text.AsMemory();
        var offset = 0;
        var index = 0;
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            index++;
            var start = offset + fields.Location.Start.Value;
            var where = $"{source}:{Line(text, start)}: block {index}";
            var label = rest.Span[fields.Label].ToString();
            var der = Convert.FromBase64String(rest.Span[fields.Base64Data].ToString());
            keys.Add(label switch
            {
                "PUBLIC KEY" => FromPublicKey(der, where, $"{Path.GetFileName(source)}#{index}"),
                "CERTIFICATE" => FromCertificate(der, where),
                "PRIVATE KEY" or "EC PRIVATE KEY" or "ENCRYPTED PRIVATE KEY" =>
                    throw new TrustStoreException($"{where}: a private key; a keyring holds public keys only (openssl pkey -pubout)"),
                _ => throw new TrustStoreException($"{where}: '{label}' is neither PUBLIC KEY nor CERTIFICATE"),
            });
            offset += fields.Location.End.Value;
            rest = rest[fields.Location.End.Value..];
        }
        // TryFind skips what does not parse; a keyring must not lose a key silently.
        if (rest.Span.IndexOf("-----BEGIN ", StringComparison.Ordinal) is var broken and >= 0)
            throw new TrustStoreException($"{source}:{Line(text, offset + broken)}: a PEM block that does not parse (bad base64, or no matching -----END line)");
        if (keys.Count == 0) throw new TrustStoreException($"{source}: no PEM block");
        return keys;
    }

    private static TrustedKey FromPublicKey(byte[] spki, string where, string name)
    {
        using var ecdsa = ECDsa.Create();
        try { ecdsa.ImportSubjectPublicKeyInfo(spki, out _); }
        catch (CryptographicException e) { throw new TrustStoreException($"{where}: not an EC public key ({e.Message})", e); }
        if (ecdsa.KeySize != 256) throw new TrustStoreException($"{where}: a {ecdsa.KeySize}-bit EC key; signatures are ES256 (P-256)");
        return new TrustedKey(name, ecdsa.ExportSubjectPublicKeyInfo(), DateTimeOffset.MinValue, DateTimeOffset.MaxValue);
    }

    private static TrustedKey FromCertificate(byte[] der, string where)
    {
        X509Certificate2 certificate;
        try { certificate = X509CertificateLoader.LoadCertificate(der); }
        catch (CryptographicException e) { throw new TrustStoreException($"{where}: not an X.509 certificate ({e.Message})", e); }
        using (certificate)
        {
            using var ecdsa = certificate.GetECDsaPublicKey() ?? throw new TrustStoreException($"{where}: certificate '{certificate.Subject}' has no EC key");
            if (ecdsa.KeySize != 256) throw new TrustStoreException($"{where}: certificate '{certificate.Subject}' has a {ecdsa.KeySize}-bit EC key; signatures are ES256 (P-256)");
            return new TrustedKey(certificate.GetNameInfo(X509NameType.SimpleName, false) is { Length: > 0 } cn ? cn : certificate.Subject,
                ecdsa.ExportSubjectPublicKeyInfo(), certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
        }
    }

    private static int Line(string text, int offset)
    {
        var line = 1;
        for (var i = 0; i < offset && i < text.Length; i++) if (text[i] == '\n') line++;
        return line;
    }
}
