using System.Formats.Tar;

namespace HilRig.Update.Bundles;

/// <summary>
/// A bundle file is a POSIX tar holding <c>metadata.json</c> (the signed metadata, first) and
/// <c>components/&lt;id&gt;.enc</c> (each encrypted payload), so <c>tar tf</c> can list one. Component URLs in a bundle
/// made by <c>bundle create</c> are relative to the bundle (<c>components/rootfs.enc</c>); the cloud rewrites them to its
/// file server when it assigns the image version and re-signs.
/// </summary>
public static class BundleArchive
{
    public const string MetadataEntry = "metadata.json";
    public const string ComponentPrefix = "components/";

    public static string ComponentEntry(string componentId) => $"{ComponentPrefix}{componentId}.enc";

    /// <summary>Writes metadata then components to <paramref name="path"/> through a temporary file, so a failure leaves nothing.</summary>
    public static async Task WriteAsync(string path, byte[] signedMetadata, IEnumerable<(string Id, string EncryptedPath)> components, CancellationToken ct = default)
    {
        var temp = path + ".partial";
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            await using (var tar = new TarWriter(file, TarEntryFormat.Pax, leaveOpen: false))
            {
                var metadata = new PaxTarEntry(TarEntryType.RegularFile, MetadataEntry) { DataStream = new MemoryStream(signedMetadata) };
                await tar.WriteEntryAsync(metadata, ct);
                foreach (var (id, encryptedPath) in components)
                {
                    await using var data = File.OpenRead(encryptedPath);
                    await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, ComponentEntry(id)) { DataStream = data }, ct);
                }
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Extracts into <paramref name="directory"/> (metadata.json and components/*.enc) and returns the metadata bytes.
    /// Refuses entries that are not those two kinds, so a bundle cannot write outside the directory, and a metadata entry
    /// longer than <paramref name="maxMetadataSize"/> bytes before reading it (its size is in the tar header).
    /// </summary>
    public static async Task<byte[]> ExtractAsync(string bundlePath, string directory, CancellationToken ct = default, long maxMetadataSize = long.MaxValue)
    {
        Directory.CreateDirectory(Path.Combine(directory, "components"));
        byte[]? metadata = null;
        await using var file = File.OpenRead(bundlePath);
        await using var tar = new TarReader(file);
        TarEntry? entry;
        var index = 0;
        try
        {
            while ((entry = await tar.GetNextEntryAsync(copyData: false, ct)) is not null)
            {
                index++;
                if (entry.EntryType is TarEntryType.Directory) continue;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    throw Invalid(bundlePath, $"entry {index} '{entry.Name}' is a {entry.EntryType}, only regular files belong in a bundle");
                if (entry.Name == MetadataEntry)
                {
                    if (entry.Length > maxMetadataSize)
                        throw new BundleRejectedException(BundleRejection.TooLarge,
                            $"{bundlePath}: entry {index} '{MetadataEntry}' is {entry.Length} bytes, over the limit of {maxMetadataSize}; it was not read");
                    using var ms = new MemoryStream();
                    if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(ms, ct);
                    metadata = ms.ToArray();
                    continue;
                }
                var id = ComponentIdOf(entry.Name)
                    ?? throw Invalid(bundlePath, $"entry {index} '{entry.Name}' is neither {MetadataEntry} nor {ComponentPrefix}<id>.enc");
                await using var output = new FileStream(Path.Combine(directory, "components", id + ".enc"), FileMode.Create, FileAccess.Write);
                if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(output, ct);
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw Invalid(bundlePath, $"not a readable tar after entry {index} ({e.Message})");
        }
        if (metadata is null) throw Invalid(bundlePath, $"no {MetadataEntry} entry");
        await File.WriteAllBytesAsync(Path.Combine(directory, MetadataEntry), metadata, ct);
        return metadata;
    }

    public static async Task<byte[]> ReadMetadataAsync(string bundlePath, CancellationToken ct = default)
    {
        await using var file = File.OpenRead(bundlePath);
        await using var tar = new TarReader(file);
        try
        {
            while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
            {
                if (entry.Name != MetadataEntry) continue;
                using var ms = new MemoryStream();
                if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(ms, ct);
                return ms.ToArray();
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw Invalid(bundlePath, $"not a readable tar ({e.Message})");
        }
        throw Invalid(bundlePath, $"no {MetadataEntry} entry");
    }

    private static string? ComponentIdOf(string entryName)
    {
        if (!entryName.StartsWith(ComponentPrefix, StringComparison.Ordinal) || !entryName.EndsWith(".enc", StringComparison.Ordinal)) return null;
        var id = entryName[ComponentPrefix.Length..^4];
        return id.Length == 0 || id.Contains('/') || id.Contains('\\') || id is "." or ".." ? null : id;
    }

    private static BundleRejectedException Invalid(string path, string message) => new(BundleRejection.InvalidMetadata, $"{path}: {message}");
}
