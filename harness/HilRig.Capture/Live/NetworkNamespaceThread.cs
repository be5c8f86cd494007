using System.Runtime.InteropServices;

namespace HilRig.Capture.Live;

/// <summary>
/// Moves the calling thread into a named network namespace (<c>/run/netns/NAME</c>, as <c>ip netns add</c>
/// creates it). Linux namespaces are per thread, so only dedicated threads may call this: a thread-pool
/// thread would carry the namespace into unrelated work.
/// </summary>
public static partial class NetworkNamespaceThread
{
    private const int CloneNewNet = 0x40000000;

    public static void Enter(string name)
    {
        var path = Path.Combine("/run/netns", name);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
            throw new IOException($"setns into network namespace '{name}' ({path}) failed: errno {Marshal.GetLastPInvokeError()}" +
                                  " (needs root or CAP_SYS_ADMIN)");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
