namespace HilRig.Update.Bundles;

/// <summary>
/// <c>decryptionInfo</c> of seed 001: how the component payloads are encrypted and the per-bundle key wrapped for
/// each unit that may install the bundle, plus the id of the key that signs the metadata.
/// </summary>
public sealed record DecryptionInfo(
    string Algorithm,
    int ChunkSize,
    string KeyAgreement,
    IReadOnlyList<WrappedKey> Recipients)
{
    public const string AesGcmChunked = "AES-256-GCM-CHUNKED";
    public const string EcdhP256Hkdf = "ECDH-P256+HKDF-SHA256";
    public const int DefaultChunkSize = 64 * 1024;
}

/// <summary>The bundle key wrapped for one recipient (a unit's P-256 key agreement key).</summary>
public sealed record WrappedKey(string KeyId, byte[] EphemeralPublicKey, byte[] Salt, byte[] Nonce, byte[] Ciphertext);
