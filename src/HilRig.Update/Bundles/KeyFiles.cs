using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>Loads P-256 keys from PEM files, naming the file when it holds something else.</summary>
public static class KeyFiles
{
    public static ECDsa LoadSigningKey(string path) => Load(path, ECDsa.Create, requirePrivate: true);

    public static ECDsa LoadVerifyingKey(string path) => Load(path, ECDsa.Create, requirePrivate: false);

    public static ECDiffieHellman LoadAgreementKey(string path) => Load(path, ECDiffieHellman.Create, requirePrivate: true);

    public static ECDiffieHellman LoadAgreementPublicKey(string path) => Load(path, ECDiffieHellman.Create, requirePrivate: false);

    public static string ExportPublicPem(AsymmetricAlgorithm key) => key.ExportSubjectPublicKeyInfoPem();

    public static string ExportPrivatePem(AsymmetricAlgorithm key) => key.ExportPkcs8PrivateKeyPem();

    private static T Load<T>(string path, Func<T> create, bool requirePrivate) where T : AsymmetricAlgorithm
    {
        string pem;
        try { pem = File.ReadAllText(path); }
        catch (IOException e) { throw new KeyFileException($"{path}: cannot read ({e.Message})", e); }
        catch (UnauthorizedAccessException e) { throw new KeyFileException($"{path}: cannot read ({e.Message})", e); }
        if (requirePrivate && !pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
            throw new KeyFileException($"{path}: expected a PEM private key");
        var key = create();
        try { key.ImportFromPem(pem); }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new KeyFileException($"{path}: not a P-256 PEM key ({e.Message})", e);
        }
        if (key.KeySize != 256)
        {
            key.Dispose();
            throw new KeyFileException($"{path}: a {key.KeySize}-bit key, expected P-256");
        }
        return key;
    }
}

public sealed class KeyFileException(string message, Exception? inner = null) : Exception(message, inner);
