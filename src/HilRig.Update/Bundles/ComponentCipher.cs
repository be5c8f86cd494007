using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace HilRig.Update.Bundles;

/// <summary>
/// AES-256-GCM over a component in fixed-size chunks, so a rootfs image is encrypted and decrypted as a stream.
/// Each component has its own key, HKDF(bundle key, "component:" + id), so one bundle key never meets the same
/// nonce twice. Chunk i is sealed with nonce = 0⁴ ‖ i (big-endian) and associated data = one byte, 1 on the last
/// chunk and 0 otherwise: chunks cannot be reordered, and a stream cut at a chunk boundary fails on its new
/// last chunk. Layout: chunk₀ ‖ tag₀ ‖ chunk₁ ‖ tag₁ … with every chunk but the last exactly ChunkSize bytes
/// (the last may be empty).
/// </summary>
public static class ComponentCipher
{
    public const int TagSize = 16;

    public static long EncryptedSize(long plainSize, int chunkSize) =>
        plainSize + TagSize * (plainSize / chunkSize + 1);

    public static async Task EncryptAsync(Stream plain, Stream cipher, ReadOnlyMemory<byte> bundleKey, string componentId, int chunkSize, CancellationToken ct = default)
    {
        using var gcm = new AesGcm(ComponentKey(bundleKey.Span, componentId), TagSize);
        var chunk = new byte[chunkSize];
        var output = new byte[chunkSize + TagSize];
        for (long index = 0; ; index++)
        {
            var length = await ReadFullAsync(plain, chunk, ct);
            var last = length < chunkSize;
            Seal(gcm, index, last, chunk.AsSpan(0, length), output);
            await cipher.WriteAsync(output.AsMemory(0, length + TagSize), ct);
            if (last) return;
        }
    }

    /// <summary>Decrypts into <paramref name="plain"/>; a tag mismatch or a cut stream is a <see cref="BundleRejection.DecryptionFailed"/>.</summary>
    public static async Task DecryptAsync(Stream cipher, Stream plain, ReadOnlyMemory<byte> bundleKey, string componentId, int chunkSize, CancellationToken ct = default)
    {
        using var gcm = new AesGcm(ComponentKey(bundleKey.Span, componentId), TagSize);
        var sealedChunk = new byte[chunkSize + TagSize];
        var output = new byte[chunkSize];
        long offset = 0;
        for (long index = 0; ; index++)
        {
            var length = await ReadFullAsync(cipher, sealedChunk, ct);
            if (length < TagSize)
                throw new BundleRejectedException(BundleRejection.DecryptionFailed, $"component '{componentId}': encrypted stream ends inside chunk {index} (byte {offset + length})");
            // Only the last chunk is short (the writer ends with an empty one when the plaintext fills its chunks),
            // so a stream cut at a chunk boundary ends with nothing where a chunk must be, caught above.
            var last = length < sealedChunk.Length;
            var plainLength = length - TagSize;
            try
            {
                Open(gcm, index, last, sealedChunk.AsSpan(0, length), output.AsSpan(0, plainLength));
            }
            catch (AuthenticationTagMismatchException e)
            {
                throw new BundleRejectedException(BundleRejection.DecryptionFailed,
                    $"component '{componentId}': chunk {index} at byte {offset} does not authenticate{(last ? " as the last chunk (truncated or altered)" : "")}", e);
            }
            await plain.WriteAsync(output.AsMemory(0, plainLength), ct);
            offset += length;
            if (last) return;
        }
    }

    private static byte[] ComponentKey(ReadOnlySpan<byte> bundleKey, string componentId)
    {
        if (bundleKey.Length != 32) throw new ArgumentException("the bundle key is 32 bytes (AES-256)");
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, bundleKey, key, ReadOnlySpan<byte>.Empty, Encoding.UTF8.GetBytes("hilrig/component:" + componentId));
        return key;
    }

    private static void Seal(AesGcm gcm, long index, bool last, ReadOnlySpan<byte> plain, Span<byte> output)
    {
        Span<byte> nonce = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        ReadOnlySpan<byte> aad = [last ? (byte)1 : (byte)0];
        gcm.Encrypt(nonce, plain, output[..plain.Length], output.Slice(plain.Length, TagSize), aad);
    }

    private static void Open(AesGcm gcm, long index, bool last, ReadOnlySpan<byte> sealedChunk, Span<byte> plain)
    {
        Span<byte> nonce = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        ReadOnlySpan<byte> aad = [last ? (byte)1 : (byte)0];
        var cipherLength = sealedChunk.Length - TagSize;
        gcm.Decrypt(nonce, sealedChunk[..cipherLength], sealedChunk[cipherLength..], plain, aad);
    }

    private static async Task<int> ReadFullAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(total), ct);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
