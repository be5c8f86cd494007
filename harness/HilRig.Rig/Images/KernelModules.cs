using System.Text;

namespace HilRig.Rig.Images;

/// <summary>
/// The kernel modules a board needs, with their dependencies, in load order. Dependencies are read from each module's
/// own <c>.modinfo</c> (<c>depends=a,b</c>), so no depmod is needed on the build host.
/// </summary>
public static class KernelModules
{
    /// <summary>What the initramfs loads: virtio disk, network and 9p, ext4 (crc32c by hand: it is requested by name), overlayfs, the power button.</summary>
    public static readonly string[] Wanted =
    [
        "virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic", "ext4", "9pnet_virtio", "9p", "overlay", "button", "evdev",
    ];

    /// <summary>Paths of the modules to load, dependencies first.</summary>
    public static IReadOnlyList<string> Resolve(string moduleDirectory, IEnumerable<string> wanted)
    {
        var byName = Directory.EnumerateFiles(moduleDirectory, "*.ko", SearchOption.AllDirectories)
            .GroupBy(p => Normalize(Path.GetFileNameWithoutExtension(p)))
            .ToDictionary(g => g.Key, g => g.First());
        var order = new List<string>();
        var seen = new HashSet<string>();
        void Visit(string name, string neededBy)
        {
            name = Normalize(name);
            if (!seen.Add(name)) return;
            if (!byName.TryGetValue(name, out var path))
                throw new InvalidDataException($"kernel module {name} (needed by {neededBy}) is not in {moduleDirectory}");
            foreach (var dependency in Depends(path)) Visit(dependency, name);
            order.Add(path);
        }
        foreach (var name in wanted) Visit(name, "the board image");
        return order;
    }

    private static string Normalize(string name) => name.Replace('-', '_');

    private static IEnumerable<string> Depends(string modulePath)
    {
        var bytes = File.ReadAllBytes(modulePath);
        var key = "\0depends="u8.ToArray();
        var at = bytes.AsSpan().IndexOf(key);
        if (at < 0) return [];
        var start = at + key.Length;
        var end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start).Split(',', StringSplitOptions.RemoveEmptyEntries);
    }
}
