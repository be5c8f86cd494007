using System.Text;

namespace HilRig.Rig.Images;

/// <summary>
/// Writes a "newc" cpio archive (what the kernel unpacks as an initramfs) from a directory tree: sorted, owned by
/// root, mtime 0, so the same tree always gives the same bytes (the image cache keys on them).
/// </summary>
public static class Cpio
{
    /// <param name="charDevices">device nodes to add (e.g. <c>dev/console</c> 5:1, which the kernel opens for init's output before devtmpfs exists).</param>
    public static void Write(string root, Stream output, IEnumerable<(string Name, int Major, int Minor)>? charDevices = null)
    {
        var inode = 1;
        foreach (var path in Walk(root))
        {
            var name = Path.GetRelativePath(root, path).Replace('\\', '/');
            var info = new FileInfo(path);
            if (info.LinkTarget is { } target)
                Entry(output, name, 0xA000 | 0x1FF, Encoding.UTF8.GetBytes(target), inode++);
            else if (Directory.Exists(path))
                Entry(output, name, 0x4000 | 0x1ED, [], inode++);
            else
                Entry(output, name, 0x8000 | ((info.UnixFileMode & UnixFileMode.UserExecute) != 0 ? 0x1ED : 0x1A4), File.ReadAllBytes(path), inode++);
        }
        foreach (var (name, major, minor) in charDevices ?? [])
            Entry(output, name, 0x2000 | 0x180, [], inode++, major, minor);
        Entry(output, "TRAILER!!!", 0, [], 0);
    }

    /// <summary>Every entry under <paramref name="root"/>, parents before children, in ordinal order.</summary>
    private static IEnumerable<string> Walk(string root)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(root).Order(StringComparer.Ordinal))
        {
            yield return entry;
            if (Directory.Exists(entry) && new FileInfo(entry).LinkTarget is null)
                foreach (var child in Walk(entry)) yield return child;
        }
    }

    private static void Entry(Stream output, string name, int mode, byte[] data, int inode, int rdevMajor = 0, int rdevMinor = 0)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        var header = $"070701{inode:X8}{mode:X8}{0:X8}{0:X8}{1:X8}{0:X8}{data.Length:X8}{0:X8}{0:X8}{rdevMajor:X8}{rdevMinor:X8}{nameBytes.Length:X8}{0:X8}";
        output.Write(Encoding.ASCII.GetBytes(header));
        output.Write(nameBytes);
        Pad(output, 110 + nameBytes.Length);
        output.Write(data);
        Pad(output, data.Length);
    }

    private static void Pad(Stream output, long length)
    {
        var pad = (int)((4 - length % 4) % 4);
        for (var i = 0; i < pad; i++) output.WriteByte(0);
    }
}
