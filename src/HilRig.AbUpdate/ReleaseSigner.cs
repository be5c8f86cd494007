using System.Security.Cryptography;

namespace HilRig.AbUpdate;

/// <summary>
/// The release key's private half: signs a release's root for both slots when the release is built (<c>hilrig release
/// sign</c>, the scenario harness). It lives with the release builder, never on a device; devices get
/// <see cref="PublicPem"/> as their keyring.
/// </summary>
public sealed class ReleaseSigner : IDisposable
{
    private readonly ECDsa _key;

    public ReleaseSigner(ECDsa key)
    {
        if (key.KeySize != 256) throw new ArgumentException($"a {key.KeySize}-bit key; release keys are ECDSA P-256", nameof(key));
        _key = key;
        KeyId = ReleaseKeyring.KeyIdOf(key.ExportSubjectPublicKeyInfo());
    }

    public static ReleaseSigner Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static ReleaseSigner Load(string pemPath)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(pemPath));
            return new ReleaseSigner(key);
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new RootSignatureException($"{pemPath}: not an ECDSA P-256 private key in PEM ({e.Message})");
        }
    }

    public Digest KeyId { get; }

    public string PublicPem => _key.ExportSubjectPublicKeyInfoPem();

    public string PrivatePem => _key.ExportPkcs8PrivateKeyPem();

    public ReleaseKeyring Keyring => new([_key.ExportSubjectPublicKeyInfo()]);

    /// <summary>Signs the release's statement for slot A and for slot B.</summary>
    public RootSignatureFile Sign(string version, long imageSize, Digest sha256, Digest merkleRoot)
    {
        SlotSignature For(SlotName slot) =>
            SlotSignature.FromBytes(KeyId, _key.SignData(RootStatement.Bytes(slot, version, imageSize, sha256, merkleRoot), HashAlgorithmName.SHA256,
                DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        return new RootSignatureFile(version, imageSize, sha256, merkleRoot, KeyId, For(SlotName.A), For(SlotName.B));
    }

    /// <summary>Signs a whole release image: its SHA-256 and the Merkle root the installer will compute over it.</summary>
    public RootSignatureFile SignImage(ReadOnlySpan<byte> image, string version)
    {
        var (sha, root) = RootOf(image);
        return Sign(version, image.Length, sha, root);
    }

    /// <summary>An image's SHA-256 and Merkle root (the last block zero-padded), as an install computes them.</summary>
    public static (Digest Sha256, Digest MerkleRoot) RootOf(ReadOnlySpan<byte> image) => (Digest.Sha256(image), MerkleTree.BuildFromImage(image).Root);

    public void Dispose() => _key.Dispose();
}
