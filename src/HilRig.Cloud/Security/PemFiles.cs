namespace HilRig.Cloud.Security;

/// <summary>
/// Writes the cloud's PEM files whole (a temporary file renamed over the target, so a crash leaves the old file or the
/// new one): private keys and tokens readable by their owner only from the moment they exist, certificates by anyone.
/// </summary>
public static class PemFiles
{
    public const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Public = Secret | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void Write(string path, string text, UnixFileMode mode)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".hilrig-tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
            using (var file = new FileStream(temp, options))
            using (var writer = new StreamWriter(file))
            {
                writer.Write(text);
                writer.Flush();
                file.Flush(flushToDisk: true);
            }
            // An existing temporary file kept its old mode: set it before the content becomes visible.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, mode);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The text of a PEM file, or a <see cref="CloudSetupException"/> naming it.</summary>
    public static string Read(string path, string what)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CloudSetupException($"{path}: cannot read {what} ({e.Message})", e);
        }
    }
}

/// <summary>The cloud's data directory holds something it cannot use (a key that does not parse, a CA without its key…).</summary>
public sealed class CloudSetupException(string message, Exception? inner = null) : Exception(message, inner);
