using System.Runtime.InteropServices;

namespace HilRig.Update.Storage;

/// <summary>
/// Writes files that must survive a power cut whole: the content goes to a temporary file beside the target and is
/// fsynced, the temporary file is renamed over the target, and the directory is fsynced so the rename itself is on
/// disk. A reader or a power cut sees the old content or the new, never a mix or an empty file.
/// </summary>
public static partial class DurableFile
{
    /// <summary>Suffix of the temporary file a write goes to before it is renamed over its target.</summary>
    public const string TempSuffix = ".hilrig-tmp";

    /// <summary>Observes every fsync and rename on this async flow, in order; tests use it to check what was made durable.</summary>
    internal static readonly AsyncLocal<Action<string>?> Observer = new();

    /// <summary>Writes <paramref name="path"/> with whatever <paramref name="write"/> puts in the stream it is given.</summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken ct = default)
    {
        var temp = path + TempSuffix;
        try
        {
            await using var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await write(output, ct);
            await output.FlushAsync(ct);
            Sync(output, temp);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        Move(temp, path);
    }

    /// <summary>A durable copy of <paramref name="source"/> at <paramref name="destination"/>.</summary>
    public static Task CopyAsync(string source, string destination, CancellationToken ct = default) =>
        WriteAsync(destination, async (output, token) =>
        {
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
            await input.CopyToAsync(output, token);
        }, ct);

    public static void WriteText(string path, string text)
    {
        var temp = path + TempSuffix;
        try
        {
            using var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
            output.Write(System.Text.Encoding.UTF8.GetBytes(text));
            Sync(output, temp);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        Move(temp, path);
    }

    /// <summary>Renames <paramref name="source"/> over <paramref name="destination"/> and makes the rename durable.</summary>
    public static void Move(string source, string destination)
    {
        File.Move(source, destination, overwrite: true);
        Observer.Value?.Invoke($"rename {source} -> {destination}");
        var to = Path.GetDirectoryName(Path.GetFullPath(destination))!;
        var from = Path.GetDirectoryName(Path.GetFullPath(source))!;
        SyncDirectory(to);
        if (from != to) SyncDirectory(from);
    }

    /// <summary>Deletes <paramref name="path"/> (if it is there) and makes the deletion durable.</summary>
    public static void Delete(string path)
    {
        if (!File.Exists(path)) return;
        File.Delete(path);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>fsync of a directory: what makes a rename, creation or deletion in it survive a power cut.</summary>
    public static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows()) return; // NTFS journals its metadata; there is no directory handle to flush
        var fd = open(directory, O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to sync it: {Marshal.GetLastPInvokeErrorMessage()}");
        try
        {
            // Some file systems cannot sync a directory (EINVAL): their renames are as durable as they get.
            if (fsync(fd) < 0 && Marshal.GetLastPInvokeError() != EINVAL)
                throw new IOException($"cannot sync directory {directory}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
        finally { close(fd); }
        Observer.Value?.Invoke($"fsync-dir {directory}");
    }

    private static void Sync(FileStream stream, string path)
    {
        stream.Flush(flushToDisk: true);
        Observer.Value?.Invoke($"fsync {path}");
    }

    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000, EINVAL = 22;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
