namespace HilRig.Rig.Locking;

/// <summary>
/// An exclusive lock on one physical board, shared by every run on this machine: an flock on
/// <c>LOCKDIR/RESOURCE.lock</c> (the kernel drops it when its holder dies, so a crashed run never leaves a board locked),
/// and beside it <c>RESOURCE.json</c> naming the holder for the next run and <c>hilrig rig status</c>. The resource is
/// the board's console port as the kernel names it, so two rig files that name one board by different paths (by-id,
/// ttyUSB0) still exclude each other.
/// </summary>
public sealed class BoardLock : IDisposable
{
    private FileStream? _file;

    private BoardLock(FileStream file, string infoPath)
    {
        _file = file;
        InfoPath = infoPath;
    }

    public string InfoPath { get; }

    /// <summary>The directory of lock files: $HILRIG_LOCK_DIR, else /run/hilrig/locks (root) or the temp directory.</summary>
    public static string Directory()
    {
        var dir = Environment.GetEnvironmentVariable("HILRIG_LOCK_DIR") is { Length: > 0 } fromEnv ? fromEnv
            : System.IO.Directory.Exists("/run") && Native.Libc.geteuid() == 0 ? "/run/hilrig/locks"
            : Path.Combine(Path.GetTempPath(), $"hilrig-locks-{Native.Libc.geteuid()}");
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A file-name-safe key for a resource path (its final target): <c>/dev/ttyUSB0</c> → <c>dev_ttyUSB0</c>.</summary>
    public static string KeyFor(string resource)
    {
        var target = resource;
        try
        {
            target = new FileInfo(resource).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? resource;
        }
        catch (IOException)
        {
        }
        return string.Concat(target.Trim('/').Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
    }

    /// <summary>Takes the lock or returns null at once; <paramref name="holder"/> is then who has it (if it said).</summary>
    public static BoardLock? TryAcquire(string key, LockHolder me, out LockHolder? holder)
    {
        var dir = Directory();
        var lockPath = Path.Combine(dir, key + ".lock");
        var infoPath = Path.Combine(dir, key + ".json");
        try
        {
            // FileShare.None is an flock(LOCK_EX|LOCK_NB) on Unix: advisory, per open file, released by the kernel on exit.
            var file = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            var temp = infoPath + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(temp, me.ToJson());
            File.Move(temp, infoPath, overwrite: true);
            holder = null;
            return new BoardLock(file, infoPath);
        }
        catch (IOException)
        {
            holder = ReadHolder(infoPath);
            return null;
        }
    }

    public static LockHolder? ReadHolder(string infoPath)
    {
        try
        {
            return File.Exists(infoPath) ? LockHolder.FromJson(File.ReadAllText(infoPath)) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Every lock file here, with its holder when it is held (a lock no process holds is free).</summary>
    public static IReadOnlyList<(string Key, LockHolder? Holder, bool Held)> List()
    {
        var dir = Directory();
        var result = new List<(string, LockHolder?, bool)>();
        foreach (var lockPath in System.IO.Directory.EnumerateFiles(dir, "*.lock").Order())
        {
            var key = Path.GetFileNameWithoutExtension(lockPath);
            bool held;
            try
            {
                using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
                held = false;
            }
            catch (IOException)
            {
                held = true;
            }
            result.Add((key, held ? ReadHolder(Path.Combine(dir, key + ".json")) : null, held));
        }
        return result;
    }

    public void Dispose()
    {
        if (_file is null) return;
        try
        {
            File.Delete(InfoPath);
        }
        catch (IOException)
        {
        }
        _file.Dispose();
        _file = null;
    }
}
