using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Rig.Drivers.ProcessBoard;

namespace HilRig.Rig.Images;

/// <summary>One output of the image build: its file name, size and SHA-256.</summary>
public sealed record ImageOutput(string File, long Size, string Sha256);

/// <summary>One input of the image build (a Debian package, the agent's sources, a script) and what identifies it.</summary>
public sealed record ImageInput(string Name, string Identity);

/// <summary>What <c>image.json</c> records: the cache key, the inputs it was made of and every output with its SHA-256.</summary>
public sealed record ImageManifest(string Key, string Architecture, string Release, IReadOnlyList<ImageInput> Inputs, IReadOnlyList<ImageOutput> Outputs);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ImageManifest))]
internal sealed partial class ImageJson : JsonSerializerContext;

/// <summary>
/// A built board image in a directory (<c>hilrig image build --out DIR</c>): the PVH kernel, the initramfs, the slot root
/// filesystem, the A/B disk and the container root filesystem, listed in <c>image.json</c> with their SHA-256.
/// <see cref="Verify"/> is what boards and <c>rig check</c> call: a missing or changed file is named.
/// </summary>
public sealed class BoardImage
{
    public const string Kernel = "vmlinux";
    public const string Initramfs = "initramfs.cpio";
    public const string Rootfs = "rootfs.ext4";
    public const string Disk = "disk.img";
    public const string ContainerRootfs = "rootfs.tar";
    public const string ManifestFile = "image.json";

    /// <summary>The release the image's slot A runs.</summary>
    public const string BaseRelease = "1.0.0";

    private static readonly ConcurrentDictionary<string, string> Verified = new();

    public BoardImage(string directory) => Directory = Path.GetFullPath(directory);

    public string Directory { get; }

    public string PathOf(string file) => Path.Combine(Directory, file);

    /// <summary>Where <c>hilrig image build</c> puts the image unless told: <c>.tools/image/ARCH</c> in the repository (git-ignored).</summary>
    public static string DefaultDirectory(string architecture = "x86_64") =>
        Path.Combine(DeviceLocator.RepositoryRoot() ?? Environment.CurrentDirectory, ".tools", "image", architecture);

    public ImageManifest ReadManifest()
    {
        var path = PathOf(ManifestFile);
        if (!File.Exists(path)) throw new BoardImageException(path, "missing: build the image with `./hilrig image build`");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ImageJson.Default.ImageManifest)
                   ?? throw new BoardImageException(path, "empty");
        }
        catch (JsonException e)
        {
            throw new BoardImageException(path, $"not an image manifest: {e.Message}; rebuild with `./hilrig image build`");
        }
    }

    public static void WriteManifest(string path, ImageManifest manifest) =>
        File.WriteAllText(path, JsonSerializer.Serialize(manifest, ImageJson.Default.ImageManifest) + "\n");

    /// <summary>
    /// Checks that <paramref name="files"/> exist with the size and SHA-256 the manifest lists; throws naming the first
    /// that does not. A file checked before and not modified since is not hashed again in this process.
    /// </summary>
    public ImageManifest Verify(params string[] files)
    {
        var manifest = ReadManifest();
        foreach (var file in files)
        {
            var path = PathOf(file);
            var listed = manifest.Outputs.FirstOrDefault(o => o.File == file)
                         ?? throw new BoardImageException(PathOf(ManifestFile), $"lists no {file}; rebuild with `./hilrig image build`");
            if (!File.Exists(path)) throw new BoardImageException(path, "missing: rebuild with `./hilrig image build`");
            var info = new FileInfo(path);
            var stamp = $"{info.Length}/{info.LastWriteTimeUtc.Ticks}";
            if (Verified.TryGetValue(path, out var seen) && seen == stamp) continue;
            if (info.Length != listed.Size)
                throw new BoardImageException(path, $"corrupt: {info.Length} bytes, the image lists {listed.Size}; rebuild with `./hilrig image build`");
            var sha = Sha256Of(path);
            if (sha != listed.Sha256)
                throw new BoardImageException(path, $"corrupt: SHA-256 {sha[..16]}…, the image lists {listed.Sha256[..16]}…; rebuild with `./hilrig image build`");
            Verified[path] = stamp;
        }
        return manifest;
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}

/// <summary>A board image file that is missing or does not match its manifest; the message names the file.</summary>
public sealed class BoardImageException(string file, string problem) : Exception($"{file}: {problem}")
{
    public string File { get; } = file;
}
