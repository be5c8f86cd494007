namespace HilRig.Cli.Tests;

/// <summary>The processes on this machine by command line, for tests that check what a run left behind.</summary>
internal static class ProcessTable
{
    /// <summary>Process ids whose command line (arguments joined by spaces) satisfies <paramref name="match"/>.</summary>
    public static int[] Matching(Func<string, bool> match) =>
        Directory.GetDirectories("/proc").Select(Path.GetFileName)
            .Where(n => n!.All(char.IsDigit)).Select(n => int.Parse(n!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(pid => Cmdline(pid) is { } cmd && match(cmd)).ToArray();

    /// <summary>A process's arguments joined by spaces, or null when it is gone.</summary>
    public static string? Cmdline(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
