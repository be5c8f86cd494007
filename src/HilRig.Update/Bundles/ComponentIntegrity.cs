using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>Checks a downloaded (still encrypted) payload against its metadata entry: size, then SHA-256, then SHA-512.</summary>
public static class ComponentIntegrity
{
    public static async Task VerifyFileAsync(string path, ComponentInfo component, CancellationToken ct = default)
    {
        var length = new FileInfo(path).Length;
        if (length < component.Size)
            throw new BundleRejectedException(BundleRejection.Truncated,
                $"component '{component.Id}': {length} of {component.Size} bytes, the payload ends at byte {length}");
        if (length > component.Size)
            throw new BundleRejectedException(BundleRejection.SizeMismatch,
                $"component '{component.Id}': {length} bytes, the metadata says {component.Size}");
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        await VerifyStreamAsync(stream, component, ct);
    }

    public static async Task VerifyStreamAsync(Stream stream, ComponentInfo component, CancellationToken ct = default)
    {
        var (h256, h512, total) = await HashStreamAsync(stream, limit: component.Size, ct);
        if (total > component.Size)
            throw new BundleRejectedException(BundleRejection.SizeMismatch,
                $"component '{component.Id}': more than the {component.Size} bytes the metadata says");
        if (total < component.Size)
            throw new BundleRejectedException(BundleRejection.Truncated,
                $"component '{component.Id}': {total} of {component.Size} bytes, the payload ends at byte {total}");
        if (!CryptographicOperations.FixedTimeEquals(h256, component.Sha256))
            throw new BundleRejectedException(BundleRejection.Sha256Mismatch,
                $"component '{component.Id}': sha256 {Convert.ToHexStringLower(h256)}, the metadata says {component.Sha256Hex}");
        if (!CryptographicOperations.FixedTimeEquals(h512!, component.Sha512))
            throw new BundleRejectedException(BundleRejection.Sha512Mismatch,
                $"component '{component.Id}': sha512 {Convert.ToHexStringLower(h512!)[..32]}…, the metadata says {component.Sha512Hex[..32]}…");
    }

    /// <summary>
    /// SHA-256, SHA-512 and length of the rest of <paramref name="stream"/>. Reading stops once more than
    /// <paramref name="limit"/> bytes came (the size then says so; the hashes are of what was read).
    /// </summary>
    public static async Task<ComponentHashes> HashStreamAsync(Stream stream, long limit = long.MaxValue, CancellationToken ct = default)
    {
        await using var hashing = new HashingStream(Stream.Null, sha512: true);
        var buffer = new byte[1 << 16];
        int n;
        while (hashing.Length <= limit && (n = await stream.ReadAsync(buffer, ct)) > 0)
            await hashing.WriteAsync(buffer.AsMemory(0, n), ct);
        return hashing.Hashes();
    }
}
