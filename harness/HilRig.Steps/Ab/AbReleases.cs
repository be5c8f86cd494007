using HilRig.AbUpdate;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;

namespace HilRig.Steps.Ab;

/// <summary>
/// The releases a scenario built (one instance per scenario): version → image and SHA-256. "A known release" means
/// a SHA-256 in this set: the promise is that a board always comes back on one of them, whatever the power does.
/// A release is built for a board: on a process board any bytes with a manifest do; a QEMU board boots its slot, so
/// its releases are its image's root filesystem carrying the manifest (<see cref="IStorageProtocol.ReleaseRoot"/>).
/// Every release is signed with this scenario's release key (<see cref="Signer"/>: its private half stays in the harness,
/// its public half is the keyring boards get with their disk), as a release build signs what it ships.
/// </summary>
public sealed class AbReleases : IDisposable
{
    /// <summary>The scenario's release key: made per scenario, never written to a board.</summary>
    public ReleaseSigner Signer { get; } = ReleaseSigner.Generate();

    /// <summary>What a board's boot trusts: the release key's public half, as a PEM keyring.</summary>
    public string KeyringPem => Signer.PublicPem + "\n";

    private readonly Dictionary<(string? Root, string Version, bool Healthy), RootSignatureFile> _signatures = new();

    /// <summary>The root signature of a release built for <paramref name="board"/> (both slots).</summary>
    public RootSignatureFile Signature(string version, Board board, bool healthy = true)
    {
        var root = RootOf(board);
        if (_signatures.TryGetValue((root, version, healthy), out var sig)) return sig;
        return _signatures[(root, version, healthy)] = Signer.SignImage(Get(version, root, healthy).Image, version);
    }

    public void Dispose() => Signer.Dispose();

    /// <summary>Process boards' release images are 2 MiB (two 1 MiB install chunks); their slots hold 4 MiB.</summary>
    public const long ImageSize = 2 << 20;
    public const long SlotCapacity = 4 << 20;

    private readonly Dictionary<(string? Root, string Version), (ReleaseManifest Manifest, byte[] Image, Digest Sha256)> _built = new();
    private readonly Dictionary<string, byte[]> _roots = new();

    /// <summary>The root filesystem releases for <paramref name="board"/> are built on, or null for synthetic images.</summary>
    public static string? RootOf(Board board) => board.TryGet<IStorageProtocol>(out var storage) ? storage!.ReleaseRoot : null;

    public (ReleaseManifest Manifest, byte[] Image, Digest Sha256) Get(string version, Board board, bool healthy = true) =>
        Get(version, RootOf(board), healthy);

    public (ReleaseManifest Manifest, byte[] Image, Digest Sha256) Get(string version, string? root, bool healthy = true)
    {
        if (_built.TryGetValue((root, version), out var r)) return r;
        var manifest = new ReleaseManifest(version, healthy ? "ok" : "fail");
        var image = root is null ? manifest.Build(ImageSize) : manifest.BuildOn(Root(root));
        return _built[(root, version)] = (manifest, image, Digest.Sha256(image));
    }

    private byte[] Root(string path)
    {
        if (_roots.TryGetValue(path, out var bytes)) return bytes;
        if (!File.Exists(path)) throw new Engine.Runtime.RigFaultException($"{path}: the board's release root is missing; build the image with `./hilrig image build`");
        return _roots[path] = File.ReadAllBytes(path);
    }

    /// <summary>
    /// An image built like a release for <paramref name="board"/> but never signed nor counted as one of the scenario's
    /// releases (an attacker's image): a board running it does not run "a known release".
    /// </summary>
    public byte[] Unsigned(string version, Board board)
    {
        var manifest = new ReleaseManifest(version);
        return RootOf(board) is { } root ? manifest.BuildOn(Root(root)) : manifest.Build(ImageSize);
    }

    public bool IsKnown(string sha256Hex, out string version)
    {
        foreach (var ((_, v), r) in _built)
        {
            if (r.Sha256.ToHex() != sha256Hex) continue;
            version = v;
            return true;
        }
        version = "";
        return false;
    }

    public IEnumerable<string> Versions => _built.Keys.Select(k => k.Version).Distinct();
}
