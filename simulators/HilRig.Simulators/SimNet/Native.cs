using System.Runtime.InteropServices;

namespace HilRig.Simulators.SimNet;

/// <summary>libc calls for TAP devices: open/ioctl(TUNSETIFF)/poll/read/write/close.</summary>
internal static unsafe partial class Native
{
    public const int O_RDWR = 2;
    public const int O_CLOEXEC = 0x80000;
    public const int O_NONBLOCK = 0x800;
    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const ulong TUNSETIFF = 0x400454ca;
    public const short POLLIN = 1;
    public const int EINTR = 4;
    public const int EAGAIN = 11;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, void* argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, ulong count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    public static string Errno() => $"errno {Marshal.GetLastPInvokeError()}";
}
