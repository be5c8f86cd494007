using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>An ECDSA P-256 private key that signs canonical documents (ES256, r‖s).</summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa _key;

    public SigningKey(ECDsa key)
    {
        if (key.KeySize != 256) throw new ArgumentException($"a {key.KeySize}-bit key, expected P-256", nameof(key));
        _key = key;
        SubjectPublicKeyInfo = key.ExportSubjectPublicKeyInfo();
        Id = KeyId.Of(SubjectPublicKeyInfo);
    }

    public static SigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static SigningKey Load(string pemPath) => new(KeyFiles.LoadSigningKey(pemPath));

    public string Id { get; }

    public byte[] SubjectPublicKeyInfo { get; }

    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public TrustedKey Trusted(string name, DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        new(name, SubjectPublicKeyInfo, notBefore, notAfter);

    public string ExportPrivatePem() => _key.ExportPkcs8PrivateKeyPem();

    public string ExportPublicPem() => _key.ExportSubjectPublicKeyInfoPem();

    public void Dispose() => _key.Dispose();
}
