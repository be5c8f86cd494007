using System.Globalization;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Drivers.Qemu;

/// <summary>
/// The per-machine directories under /tmp that hold a QEMU board's sockets (QMP, its SimNet stream port): a unix socket
/// path holds at most 107 bytes and artifact paths can be longer. Names are <c>hilrig-qemu-PID-START-RANDOM</c> — unique
/// per board instance, so scenarios side by side never share one, and carrying the owner's process id and start time, so
/// the directories of a run that was SIGKILLed (its QEMUs die on their lifeline; nothing could delete the directories)
/// are swept by the next run and never those of a run still going. The QEMU processes themselves are
/// <see cref="ProcessBoard.ChildProcesses"/>'s: killed before these directories go (<see cref="Leftovers"/> order 0, then 1).
/// </summary>
public static class QemuRuntimeDirectories
{
    public const string Prefix = "hilrig-qemu-";

    private static readonly HashSet<string> Owned = new();
    private static int _sweptOnce;

    /// <summary>Creates a new directory for one QEMU machine; the first call in a process sweeps those of dead runs.</summary>
    public static string Create()
    {
        if (Interlocked.Exchange(ref _sweptOnce, 1) == 0)
        {
            SweepStale();
            Leftovers.Register("QEMU runtime directories", DeleteOwned, order: 1);
        }
        var self = Environment.ProcessId;
        var path = Path.Combine(Path.GetTempPath(),
            $"{Prefix}{self}-{StartTime(self)}-{Guid.NewGuid().ToString("N")[..12]}");
        Directory.CreateDirectory(path);
        lock (Owned) Owned.Add(path);
        return path;
    }

    /// <summary>Deletes one machine's directory (its board was disposed).</summary>
    public static void Delete(string path)
    {
        lock (Owned) Owned.Remove(path);
        TryDelete(path);
    }

    /// <summary>Deletes every directory this process still owns (a run that gave up on its scenarios).</summary>
    public static void DeleteOwned()
    {
        List<string> all;
        lock (Owned)
        {
            all = Owned.ToList();
            Owned.Clear();
        }
        foreach (var path in all) TryDelete(path);
    }

    /// <summary>Deletes the directories whose owner process is gone (or whose id a newer process reuses); returns them.</summary>
    public static IReadOnlyList<string> SweepStale()
    {
        var removed = new List<string>();
        foreach (var path in Directory.GetDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var parts = Path.GetFileName(path)[Prefix.Length..].Split('-', 3);
            if (parts.Length == 3 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid) && StartTime(pid) == parts[1]) continue;
            if (TryDelete(path)) removed.Add(path);
        }
        return removed;
    }

    private static bool TryDelete(string path)
    {
        try
        {
            if (!Directory.Exists(path)) return false;
            Directory.Delete(path, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Another sweeper got there first, or it is not ours to delete.
            return false;
        }
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks), or "gone".</summary>
    private static string StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return "gone";
        }
    }
}
