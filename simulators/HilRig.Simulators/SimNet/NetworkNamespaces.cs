using System.Diagnostics;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Creates, tracks and removes SimNet's network namespaces. Names are <c>hrsn-PID-N-HOST</c>: the owner's
/// process id lets a later run find and delete namespaces a crashed run left behind, and the prefix
/// keeps SimNet from ever touching anyone else's namespaces on a shared machine.
/// </summary>
public static class NetworkNamespaces
{
    public const string Prefix = "hrsn-";
    private const string NetnsDirectory = "/run/netns";
    private const string OwnerDirectory = "/run/hilrig-simnet";
    private static int _instances;

    /// <summary>A name unique to this process and call.</summary>
    internal static string NewName(string host) =>
        $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _instances)}-{host}";

    internal static void Create(string name)
    {
        // The owner record is written first, so a sweep never mistakes a namespace being set up for a stale one.
        Directory.CreateDirectory(OwnerDirectory);
        File.WriteAllText(Path.Combine(OwnerDirectory, name), $"{Environment.ProcessId} {StartTime(Environment.ProcessId)}");
        IpCommand.Run("netns", "add", name);
    }

    /// <summary>
    /// Names the network namespace of process <paramref name="pid"/> (a container's) as <paramref name="name"/>. Deleting it
    /// later only removes the name; the namespace lives on until its last process (the container) is gone.
    /// </summary>
    internal static void Attach(string name, int pid)
    {
        Directory.CreateDirectory(OwnerDirectory);
        File.WriteAllText(Path.Combine(OwnerDirectory, name), $"{Environment.ProcessId} {StartTime(Environment.ProcessId)}");
        IpCommand.Run("netns", "attach", name, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    internal static void Delete(string name)
    {
        if (!name.StartsWith(Prefix, StringComparison.Ordinal)) throw new ArgumentException($"refusing to delete namespace '{name}': not SimNet's");
        try
        {
            if (File.Exists(Path.Combine(NetnsDirectory, name))) IpCommand.Run("netns", "del", name);
        }
        finally
        {
            File.Delete(Path.Combine(OwnerDirectory, name));
        }
    }

    /// <summary>
    /// Deletes every SimNet namespace this process created that still exists: what a harness calls when it gives up on
    /// scenarios tearing down their own switches (an interrupted run past its grace period), so none outlives it.
    /// Returns the names removed.
    /// </summary>
    public static IReadOnlyList<string> DeleteOwned()
    {
        var removed = new List<string>();
        if (!Directory.Exists(OwnerDirectory)) return removed;
        var mine = $"{Prefix}{Environment.ProcessId}-";
        foreach (var record in Directory.GetFiles(OwnerDirectory, mine + "*"))
        {
            var name = Path.GetFileName(record);
            try
            {
                Delete(name);
                removed.Add(name);
            }
            catch (IOException)
            {
                // Deleted meanwhile by the switch that owned it.
            }
        }
        return removed;
    }

    /// <summary>
    /// Deletes SimNet namespaces whose owner process is gone (or is a different process that reused the id).
    /// Returns the names removed. Called when a SimNet starts.
    /// </summary>
    public static IReadOnlyList<string> SweepStale()
    {
        var removed = new List<string>();
        if (!Directory.Exists(NetnsDirectory)) return removed;
        foreach (var path in Directory.GetFiles(NetnsDirectory, Prefix + "*"))
        {
            var name = Path.GetFileName(path);
            if (IsOwnerAlive(name)) continue;
            try
            {
                Delete(name);
                removed.Add(name);
            }
            catch (IOException)
            {
                // Another sweeper got there first.
            }
        }
        return removed;
    }

    private static bool IsOwnerAlive(string name)
    {
        var parts = name[Prefix.Length..].Split('-', 3);
        if (parts.Length < 3 || !int.TryParse(parts[0], out var pid)) return false;
        var start = StartTime(pid);
        if (start is null) return false;
        var record = Path.Combine(OwnerDirectory, name);
        if (!File.Exists(record)) return true; // alive and no record: leave it alone
        var recorded = File.ReadAllText(record).Split(' ');
        return recorded.Length == 2 && recorded[1] == start;
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks), or null if no such process.</summary>
    private static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterComm = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return afterComm[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A ProcessStartInfo that runs <paramref name="file"/> inside <paramref name="netns"/> via <c>ip netns exec</c>.</summary>
    public static ProcessStartInfo StartInfo(string netns, string file, params string[] args)
    {
        var psi = new ProcessStartInfo("ip");
        foreach (var a in new[] { "netns", "exec", netns, file }.Concat(args)) psi.ArgumentList.Add(a);
        return psi;
    }
}
