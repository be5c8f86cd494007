using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>
/// Checks a bundle file end to end, in the order the CM does: metadata JSON → signature and key validity →
/// fields → image version and component ids → each payload's size, SHA-256, SHA-512 → (with a unit key) decryption.
/// The first failure is thrown as a <see cref="BundleRejectedException"/> with its reason.
/// </summary>
public sealed class BundleVerifier(TrustStore trust, TimeProvider time)
{
    public async Task<BundleMetadata> VerifyFileAsync(string bundlePath, UpdatePolicy policy, ECDiffieHellman? unitKey = null, CancellationToken ct = default)
    {
        var work = Path.Combine(Path.GetTempPath(), $"hilrig-verify-{Guid.NewGuid():N}");
        try
        {
            var metadataBytes = await BundleArchive.ExtractAsync(bundlePath, work, ct);
            var metadata = MetadataDocument.ReadVerified(metadataBytes, $"{bundlePath}!{BundleArchive.MetadataEntry}", trust, time.GetUtcNow());
            policy.Check(metadata);
            foreach (var component in metadata.Components)
            {
                var payload = Path.Combine(work, "components", component.Id + ".enc");
                if (!File.Exists(payload))
                    throw new BundleRejectedException(BundleRejection.Truncated, $"component '{component.Id}': no {BundleArchive.ComponentEntry(component.Id)} in the bundle");
                await ComponentIntegrity.VerifyFileAsync(payload, component, ct);
            }
            if (unitKey is not null)
            {
                var bundleKey = KeyWrap.Unwrap(metadata.DecryptionInfo, unitKey);
                try
                {
                    foreach (var component in metadata.Components)
                    {
                        await using var cipher = File.OpenRead(Path.Combine(work, "components", component.Id + ".enc"));
                        await ComponentCipher.DecryptAsync(cipher, Stream.Null, bundleKey, component.Id, metadata.DecryptionInfo.ChunkSize, ct);
                    }
                }
                finally { CryptographicOperations.ZeroMemory(bundleKey); }
            }
            return metadata;
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        }
    }
}
