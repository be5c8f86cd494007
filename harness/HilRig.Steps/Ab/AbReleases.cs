using HilRig.AbUpdate;

namespace HilRig.Steps.Ab;

/// <summary>
/// The releases a scenario built (one instance per scenario): version → image and SHA-256. "A known release" means
/// a SHA-256 in this set: the promise is that a board always comes back on one of them, whatever the power does.
/// </summary>
public sealed class AbReleases
{
    /// <summary>Release images are 2 MiB (two 1 MiB install chunks); slots hold 4 MiB.</summary>
    public const long ImageSize = 2 << 20;
    public const long SlotCapacity = 4 << 20;

    private readonly Dictionary<string, (ReleaseManifest Manifest, byte[] Image, Digest Sha256)> _byVersion = new();

    public (ReleaseManifest Manifest, byte[] Image, Digest Sha256) Get(string version, bool healthy = true)
    {
        if (_byVersion.TryGetValue(version, out var r)) return r;
        var manifest = new ReleaseManifest(version, healthy ? "ok" : "fail");
        var image = manifest.Build(ImageSize);
        return _byVersion[version] = (manifest, image, Digest.Sha256(image));
    }

    public bool IsKnown(string sha256Hex, out string version)
    {
        foreach (var (v, r) in _byVersion)
        {
            if (r.Sha256.ToHex() != sha256Hex) continue;
            version = v;
            return true;
        }
        version = "";
        return false;
    }

    public IEnumerable<string> Versions => _byVersion.Keys;
}
