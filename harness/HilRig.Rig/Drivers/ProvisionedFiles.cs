namespace HilRig.Rig.Drivers;

/// <summary>How every simulated board kind writes a provisioned file into its storage (see <see cref="Protocols.IProvisioningProtocol"/>).</summary>
public static class ProvisionedFiles
{
    /// <summary>
    /// Writes <paramref name="content"/> at <paramref name="relativePath"/> under <paramref name="root"/>, created with
    /// <paramref name="mode"/> and renamed into place (a reader sees the old file or the new one); returns the host path.
    /// </summary>
    public static string Write(string board, string root, string relativePath, ReadOnlySpan<byte> content, UnixFileMode mode)
    {
        var parts = Parts(board, relativePath);
        var path = Path.Combine([root, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".provisioning";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        // A key is never readable by others, not even between its creation and a chmod.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = mode;
        using (var file = new FileStream(temp, options)) file.Write(content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, mode);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    /// <summary>The path's parts; throws when it is not a relative path without '.', '..' or empty parts.</summary>
    public static string[] Parts(string board, string relativePath)
    {
        var parts = relativePath.Split('/');
        if (relativePath.Length == 0 || Path.IsPathRooted(relativePath) || parts.Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"board {board}: provisioned file '{relativePath}' must be a relative path without '.', '..' or empty parts");
        return parts;
    }
}
