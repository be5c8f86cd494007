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
    public const short IFF_VNET_HDR = 0x4000;
    public const ulong TUNSETIFF = 0x400454ca;
    public const ulong TUNSETOFFLOAD = 0x400454d0;
    public const ulong TUNSETVNETHDRSZ = 0x400454d8;
    public const uint TUN_F_CSUM = 0x01, TUN_F_TSO4 = 0x02, TUN_F_TSO6 = 0x04, TUN_F_TSO_ECN = 0x08;
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

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nint Length;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint writev(int fd, IoVec* vectors, int count);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    public static string Errno() => $"errno {Marshal.GetLastPInvokeError()}";
}
