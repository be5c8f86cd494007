using System.Runtime.InteropServices;

namespace HilRig.Rig.Native;

/// <summary>
/// The libc calls the harness needs for ptys: .NET has no pty API, and System.IO.Ports opens ttys by path, which a pty
/// master (a fresh one per open of /dev/ptmx) has not. Serial ports themselves go through System.IO.Ports.
/// </summary>
internal static partial class Libc
{
    private const string Lib = "libc";

    public const int O_RDWR = 0x2;
    public const int O_NOCTTY = 0x100;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;

    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;
    public const short POLLNVAL = 0x20;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EIO = 5;

    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int posix_openpt(int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int grantpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int unlockpt(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int ptsname_r(int fd, Span<byte> buffer, nint length);

    [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint read(int fd, Span<byte> buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial nint write(int fd, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int poll(Span<PollFd> fds, nuint count, int timeoutMs);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(Lib)]
    public static partial uint geteuid();

    public static string LastError() => Marshal.GetLastPInvokeErrorMessage();

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }
}
