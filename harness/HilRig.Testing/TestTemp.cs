namespace HilRig.Testing;

/// <summary>
/// Where a test process keeps its files: <c>$TMPDIR/hilrig-tests-UID/run-PID</c>. Per user, so a machine where root ran
/// the suite before does not stop another user's run (the shared directory was root's and 0755); per process, so the
/// directory can go when the process exits — it grew by every run before (nearly 1 GB after a day of runs here).
/// A process that was killed leaves its directory; the next test process of that user sweeps directories whose process is
/// gone. Set <c>HILRIG_KEEP_TEST_FILES=1</c> to keep them for a look after the run.
/// </summary>
internal static class TestTemp
{
    private const string RunPrefix = "run-";

    public static string CreateForThisProcess()
    {
        var parent = Path.Combine(Path.GetTempPath(), $"hilrig-tests-{Environment.UserName}");
        Directory.CreateDirectory(parent);
        var keep = Environment.GetEnvironmentVariable("HILRIG_KEEP_TEST_FILES") == "1";
        if (!keep) SweepStale(parent);
        var dir = Path.Combine(parent, RunPrefix + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        if (!keep) AppDomain.CurrentDomain.ProcessExit += (_, _) => TryDelete(dir);
        return dir;
    }

    private static void SweepStale(string parent)
    {
        foreach (var dir in Directory.EnumerateDirectories(parent, RunPrefix + "*"))
        {
            if (int.TryParse(Path.GetFileName(dir)[RunPrefix.Length..], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                TryDelete(dir);
        }
    }

    private static void TryDelete(string dir)
    {
        // Never follow a mount into somebody else's files: a test that mounted something and died leaves it for a person.
        if (File.Exists("/proc/self/mounts")
            && File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ') is [_, var at, ..] && at.StartsWith(dir + "/", StringComparison.Ordinal)))
            return;
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file still held open (a child that outlived its test) or one made by another user: the next sweep tries again.
        }
    }
}
