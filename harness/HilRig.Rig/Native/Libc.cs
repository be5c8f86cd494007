using System.Runtime.InteropServices;

namespace HilRig.Rig.Native;

/// <summary>
/// The libc calls the harness needs for ptys and serial ports; System.IO.Ports does not restore here
/// (platform-dotnet.md §10), and .NET has no pty API.
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

    public const int TCSANOW = 0;
    public const int TCSADRAIN = 1;
    public const int TCIOFLUSH = 2;

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
    public static partial int tcgetattr(int fd, out Termios termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, in Termios termios);

    [LibraryImport(Lib)]
    public static partial void cfmakeraw(ref Termios termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int cfsetspeed(ref Termios termios, uint speed);

    [LibraryImport(Lib)]
    public static partial uint cfgetospeed(in Termios termios);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcflush(int fd, int queue);

    [LibraryImport(Lib, SetLastError = true)]
    public static partial int tcdrain(int fd);

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

    /// <summary>glibc x86-64/aarch64 <c>struct termios</c>: 60 bytes, c_cc at offset 17.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct Termios
    {
        public uint c_iflag;
        public uint c_oflag;
        public uint c_cflag;
        public uint c_lflag;
        public byte c_line;
        public fixed byte c_cc[32];
        public uint c_ispeed;
        public uint c_ospeed;
    }

    public const int VTIME = 5;
    public const int VMIN = 6;
}
