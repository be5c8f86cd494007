using System.Security.Cryptography;

namespace HilRig.Update.Bundles;

/// <summary>
/// Makes a bundle: a fresh AES-256 bundle key, each component encrypted with it, the key wrapped for every
/// recipient unit key, metadata built from the encrypted payloads' sizes and hashes, signed, written as a tar.
/// </summary>
public sealed class BundleBuilder
{
    private readonly List<ComponentSource> _components = new();
    private readonly List<ECDiffieHellman> _recipients = new();

    public long ImageVersion { get; set; } = 1;
    public int ChunkSize { get; set; } = DecryptionInfo.DefaultChunkSize;

    /// <summary>Prefix for component URLs; null gives URLs relative to the bundle (<c>components/&lt;id&gt;.enc</c>).</summary>
    public string? UrlBase { get; set; }

    public BundleBuilder Add(ComponentSource component)
    {
        if (_components.Any(c => c.Id == component.Id)) throw new ArgumentException($"component '{component.Id}' is given twice");
        _components.Add(component);
        return this;
    }

    public BundleBuilder AddRecipient(ECDiffieHellman unitPublicKey)
    {
        _recipients.Add(unitPublicKey);
        return this;
    }

    public async Task<BundleMetadata> WriteAsync(string outputPath, SigningKey key, CancellationToken ct = default)
    {
        if (_components.Count == 0) throw new InvalidOperationException("a bundle needs at least one component");
        if (_recipients.Count == 0) throw new InvalidOperationException("a bundle needs at least one recipient unit key");
        foreach (var c in _components)
            if (!File.Exists(c.Path)) throw new FileNotFoundException($"component '{c.Id}': {c.Path} does not exist", c.Path);

        var work = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputPath))!, $".{Path.GetFileName(outputPath)}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        var bundleKey = RandomNumberGenerator.GetBytes(32);
        try
        {
            var infos = new List<ComponentInfo>();
            var encrypted = new List<(string, string)>();
            foreach (var c in _components)
            {
                var encPath = Path.Combine(work, c.Id + ".enc");
                ComponentHashes hashes;
                await using (var plain = File.OpenRead(c.Path))
                await using (var cipher = new FileStream(encPath, FileMode.Create, FileAccess.Write))
                await using (var hashing = new HashingStream(cipher, sha512: true))
                {
                    // Hashed as it is written: the metadata's hashes without reading the payload back.
                    await ComponentCipher.EncryptAsync(plain, hashing, bundleKey, c.Id, ChunkSize, ct);
                    hashes = hashing.Hashes();
                }
                var url = UrlBase is null ? BundleArchive.ComponentEntry(c.Id) : $"{UrlBase.TrimEnd('/')}/{c.Id}.enc";
                infos.Add(new ComponentInfo(c.Id, c.Version, c.Description, c.AnnotationsJson, [url], hashes.Sha256, hashes.Sha512!, hashes.Size));
                encrypted.Add((c.Id, encPath));
            }
            var wrapped = _recipients.Select(r => KeyWrap.Wrap(bundleKey, r)).ToList();
            var metadata = new BundleMetadata(ImageVersion, infos,
                new DecryptionInfo(DecryptionInfo.AesGcmChunked, ChunkSize, DecryptionInfo.EcdhP256Hkdf, wrapped));
            await BundleArchive.WriteAsync(outputPath, MetadataDocument.Sign(metadata, key), encrypted, ct);
            return metadata;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bundleKey);
            Directory.Delete(work, recursive: true);
        }
    }
}
