using HilRig.Update.Bundles;

namespace HilRig.Update.Tests.Bundles;

/// <summary>Rewrites a bundle with one thing changed, the way an attacker or a broken mirror would.</summary>
internal static class BundleTamper
{
    public static async Task<string> RewriteAsync(BundleFixture f, string name, Func<byte[], byte[]>? metadata = null, string? componentId = null, Func<byte[], byte[]>? payload = null)
    {
        var work = Path.Combine(f.Directory, name + ".x");
        var metadataBytes = await BundleArchive.ExtractAsync(f.BundlePath, work);
        if (metadata is not null) metadataBytes = metadata(metadataBytes);
        var components = new List<(string, string)>();
        foreach (var c in f.Metadata.Components)
        {
            var path = Path.Combine(work, "components", c.Id + ".enc");
            if (c.Id == componentId && payload is not null) await File.WriteAllBytesAsync(path, payload(await File.ReadAllBytesAsync(path)));
            components.Add((c.Id, path));
        }
        var output = Path.Combine(f.Directory, name + ".tar");
        await BundleArchive.WriteAsync(output, metadataBytes, components);
        return output;
    }

    public static byte[] Resign(BundleFixture f, BundleMetadata metadata, SigningKey? key = null) =>
        MetadataDocument.Sign(metadata, key ?? f.Signer);
}
