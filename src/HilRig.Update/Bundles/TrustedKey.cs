using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>A public key the unit trusts to sign metadata between <see cref="NotBefore"/> and <see cref="NotAfter"/> (exclusive).</summary>
public sealed record TrustedKey(string Name, byte[] SubjectPublicKeyInfo, DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    public string Id { get; } = KeyId.Of(SubjectPublicKeyInfo);

    public bool IsValidAt(DateTimeOffset now) => now >= NotBefore && now < NotAfter;

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }
}
