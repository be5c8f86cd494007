using System.Text;
using System.Text.Json;
using HilRig.Storage;

namespace HilRig.AbUpdate;

/// <summary>
/// The root filesystem images process boards run: a 4 KiB manifest block ("HILRIG-RELEASE" + JSON: version, health)
/// followed by content generated from the version, so the same version always has the same SHA-256. The device's
/// health check reads the manifest from its booted root: a release built with <c>health: fail</c> never passes it,
/// which is how a scenario ships a bad release.
/// </summary>
public sealed record ReleaseManifest(string Version, string Health = "ok")
{
    public const string Magic = "HILRIG-RELEASE\n";
    public bool Healthy => Health == "ok";

    /// <summary>Builds the image of a release: deterministic for (version, health, size).</summary>
    public byte[] Build(long size = 1 << 20)
    {
        if (size < 8192 || size % 4096 != 0) throw new ArgumentException($"release size {size} is not a multiple of 4 KiB of at least 8 KiB");
        var image = new byte[size];
        Head().CopyTo(image, 0);
        var seed = BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes($"{Version}/{Health}")));
        new SeededRng(seed).Fill(image.AsSpan(4096));
        return image;
    }

    /// <summary>
    /// The release as a bootable root filesystem: <paramref name="rootfs"/> (an ext4 image, as a board image's slot holds)
    /// with the manifest written into its first 1 KiB, which ext4 leaves to boot loaders (its superblock starts at 1024).
    /// The same root with another version or health is another release with another SHA-256.
    /// </summary>
    public byte[] BuildOn(ReadOnlySpan<byte> rootfs)
    {
        if (ImageSniffer.DeclaredSize(rootfs) is not ("ext4", _))
            throw new ArgumentException("a release root must be an ext4 image (its first 1 KiB carries the manifest)");
        var head = Head();
        if (head.Length > 1024) throw new ArgumentException($"release manifest of {Version} is {head.Length} bytes; at most 1024 fit before the ext4 superblock");
        var image = rootfs.ToArray();
        image.AsSpan(0, 1024).Clear();
        head.CopyTo(image, 0);
        return image;
    }

    private byte[] Head() =>
        Encoding.UTF8.GetBytes(Magic + JsonSerializer.Serialize(new ReleaseManifestJson(Version, Health), ReleaseJson.Default.ReleaseManifestJson) + "\n");

    /// <summary>Reads the manifest from the start of a root device, or null when it holds no HilRig release.</summary>
    public static ReleaseManifest? Read(IBlockDevice root)
    {
        var head = root.ReadBytes(0, 4096);
        var text = Encoding.UTF8.GetString(head).TrimEnd('\0');
        if (!text.StartsWith(Magic, StringComparison.Ordinal)) return null;
        var json = text[Magic.Length..].Split('\n')[0];
        try
        {
            using var doc = JsonDocument.Parse(json);
            return new ReleaseManifest(doc.RootElement.GetProperty("version").GetString() ?? "",
                doc.RootElement.TryGetProperty("health", out var h) ? h.GetString() ?? "ok" : "ok");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }
}
