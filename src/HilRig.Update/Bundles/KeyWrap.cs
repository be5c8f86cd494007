using System.Security.Cryptography;
using System.Text;

namespace HilRig.Update.Bundles;

/// <summary>
/// Wraps the per-bundle AES-256 key for a unit: an ephemeral P-256 key agrees a secret with the unit's static key
/// (ECDH), HKDF-SHA256 turns it into a key-encryption key, and AES-256-GCM seals the bundle key with the recipient's
/// key id as associated data.
/// </summary>
public static class KeyWrap
{
    private static readonly byte[] Info = Encoding.ASCII.GetBytes("hilrig/bundle-key-wrap/v1");

    public static WrappedKey Wrap(ReadOnlySpan<byte> bundleKey, ECDiffieHellman recipientPublic)
    {
        using var ephemeral = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var recipientId = KeyId.Of(recipientPublic);
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(12);
        var kek = DeriveKek(ephemeral, recipientPublic.PublicKey, salt);
        var ciphertext = new byte[bundleKey.Length + 16];
        using (var gcm = new AesGcm(kek, 16))
            gcm.Encrypt(nonce, bundleKey, ciphertext.AsSpan(0, bundleKey.Length), ciphertext.AsSpan(bundleKey.Length), Encoding.ASCII.GetBytes(recipientId));
        CryptographicOperations.ZeroMemory(kek);
        return new WrappedKey(recipientId, ephemeral.ExportSubjectPublicKeyInfo(), salt, nonce, ciphertext);
    }

    /// <summary>Finds the key wrapped for <paramref name="unitKey"/> and unwraps it.</summary>
    public static byte[] Unwrap(DecryptionInfo info, ECDiffieHellman unitKey)
    {
        var id = KeyId.Of(unitKey);
        var wrapped = info.Recipients.FirstOrDefault(r => r.KeyId == id)
            ?? throw new BundleRejectedException(BundleRejection.DecryptionFailed,
                $"the bundle key is not wrapped for this unit (key {id}); recipients: {string.Join(", ", info.Recipients.Select(r => r.KeyId))}");
        if (wrapped.Ciphertext.Length != 32 + 16 || wrapped.Nonce.Length != 12)
            throw new BundleRejectedException(BundleRejection.DecryptionFailed, $"wrapped key for {id} has the wrong length");
        using var ephemeral = ECDiffieHellman.Create();
        try { ephemeral.ImportSubjectPublicKeyInfo(wrapped.EphemeralPublicKey, out _); }
        catch (CryptographicException e) { throw new BundleRejectedException(BundleRejection.DecryptionFailed, $"ephemeral key for {id} is not a P-256 public key", e); }
        var kek = DeriveKek(unitKey, ephemeral.PublicKey, wrapped.Salt);
        var bundleKey = new byte[32];
        try
        {
            using var gcm = new AesGcm(kek, 16);
            gcm.Decrypt(wrapped.Nonce, wrapped.Ciphertext.AsSpan(0, 32), wrapped.Ciphertext.AsSpan(32), bundleKey, Encoding.ASCII.GetBytes(id));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new BundleRejectedException(BundleRejection.DecryptionFailed, $"the wrapped key for {id} does not authenticate", e);
        }
        finally { CryptographicOperations.ZeroMemory(kek); }
        return bundleKey;
    }

    private static byte[] DeriveKek(ECDiffieHellman own, ECDiffieHellmanPublicKey other, byte[] salt)
    {
        var shared = own.DeriveRawSecretAgreement(other);
        try { return HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, salt, Info); }
        finally { CryptographicOperations.ZeroMemory(shared); }
    }
}
