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
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
            if (total > component.Size)
                throw new BundleRejectedException(BundleRejection.SizeMismatch,
                    $"component '{component.Id}': more than the {component.Size} bytes the metadata says");
            sha256.AppendData(buffer, 0, n);
            sha512.AppendData(buffer, 0, n);
        }
        if (total < component.Size)
            throw new BundleRejectedException(BundleRejection.Truncated,
                $"component '{component.Id}': {total} of {component.Size} bytes, the payload ends at byte {total}");
        var h256 = sha256.GetHashAndReset();
        if (!CryptographicOperations.FixedTimeEquals(h256, component.Sha256))
            throw new BundleRejectedException(BundleRejection.Sha256Mismatch,
                $"component '{component.Id}': sha256 {Convert.ToHexStringLower(h256)}, the metadata says {component.Sha256Hex}");
        var h512 = sha512.GetHashAndReset();
        if (!CryptographicOperations.FixedTimeEquals(h512, component.Sha512))
            throw new BundleRejectedException(BundleRejection.Sha512Mismatch,
                $"component '{component.Id}': sha512 {Convert.ToHexStringLower(h512)[..32]}…, the metadata says {component.Sha512Hex[..32]}…");
    }

    public static async Task<(byte[] Sha256, byte[] Sha512, long Size)> HashFileAsync(string path, CancellationToken ct = default)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var sha512 = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
            sha256.AppendData(buffer, 0, n);
            sha512.AppendData(buffer, 0, n);
        }
        return (sha256.GetHashAndReset(), sha512.GetHashAndReset(), total);
    }
}
