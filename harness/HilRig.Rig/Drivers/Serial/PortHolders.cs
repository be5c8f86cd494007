namespace HilRig.Rig.Drivers.Serial;

/// <summary>
/// Which other processes have a tty open. System.IO.Ports marks its ports exclusive (TIOCEXCL), but root is exempt
/// from that, and benches run as root: a stray picocom would share the line and swallow half of the console. So the
/// port is checked before it is opened, and the holders are named.
/// </summary>
public static class PortHolders
{
    public static IReadOnlyList<(int Pid, string Command)> Of(string path)
    {
        string target;
        try
        {
            target = Path.GetFullPath(new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path);
        }
        catch (IOException)
        {
            return [];
        }
        // Every open of the pty multiplexer makes a new pair: it is held by every terminal, and never busy.
        if (target == "/dev/ptmx") return [];
        var self = Environment.ProcessId;
        var holders = new List<(int, string)>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out var pid) || pid == self) continue;
            try
            {
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(proc, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget != target) continue;
                    var command = File.ReadAllText(Path.Combine(proc, "comm")).Trim();
                    holders.Add((pid, command));
                    break;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to inspect.
            }
        }
        return holders;
    }
}
