using HilRig.AbUpdate;
using HilRig.Cli.Output;
using HilRig.Storage;

namespace HilRig.Cli.Commands;

/// <summary>Shared plumbing of the A/B commands (disk, delta, sweep): opening images and mapping refusals to exit codes.</summary>
internal static class AbCli
{
    /// <summary>Runs an A/B action: a refusal (bad image, not our disk, corrupt boot control) prints its message and exits 1.</summary>
    public static Task<int> Guard(Func<int> action) => Loading.GuardAsync(() =>
    {
        try
        {
            return Task.FromResult(action());
        }
        catch (AbException e)
        {
            Terminal.Error($"hilrig: {e.Message}");
            return Task.FromResult(ExitCodes.Failed);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new Loading.UsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Terminal.Error($"hilrig: {e.Message}");
            return Task.FromResult(ExitCodes.Failed);
        }
    });

    public static FileBlockDevice OpenImage(string path, bool readOnly = false)
    {
        try
        {
            return FileBlockDevice.Open(path, readOnly);
        }
        catch (FileNotFoundException)
        {
            throw new Loading.UsageException($"{path}: no such disk image");
        }
    }

    public static long Size(string text, string option)
    {
        try
        {
            return BlockDevice.ParseSize(text);
        }
        catch (FormatException e)
        {
            throw new Loading.UsageException($"{option}: {e.Message}");
        }
    }
}
