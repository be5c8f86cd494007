using System.Text;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// A TAP device: the host's side is an Ethernet interface (moved into its network namespace), the
/// switch's side is this file descriptor, one frame per read/write (IFF_NO_PI: no packet-info prefix).
/// The device is not persistent: it disappears when the descriptor closes, including when the process dies.
/// </summary>
public sealed unsafe class TapPort : SwitchPort
{
    private const int PollIntervalMs = 100;
    private int _fd;

    private TapPort(string host, string interfaceName, int fd) : base(host)
    {
        InterfaceName = interfaceName;
        _fd = fd;
    }

    public override string Kind => "tap";

    /// <summary>The kernel's name for the device at creation (≤ 15 characters).</summary>
    public string InterfaceName { get; }

    /// <summary>Creates TAP device <paramref name="interfaceName"/> in the caller's network namespace.</summary>
    public static TapPort Create(string host, string interfaceName)
    {
        if (Encoding.ASCII.GetByteCount(interfaceName) > 15)
            throw new ArgumentException($"interface name '{interfaceName}' is longer than Linux's 15 characters");
        // Non-blocking: the read loop reads until EAGAIN and only then polls, one syscall per frame under load.
        var fd = Native.open("/dev/net/tun", Native.O_RDWR | Native.O_CLOEXEC | Native.O_NONBLOCK);
        if (fd < 0) throw new IOException($"cannot open /dev/net/tun for host '{host}': {Native.Errno()} (needs root and the tun module)");
        // struct ifreq: char ifr_name[16]; short ifr_flags; padding to 40 bytes.
        var ifreq = stackalloc byte[40];
        new Span<byte>(ifreq, 40).Clear();
        Encoding.ASCII.GetBytes(interfaceName, new Span<byte>(ifreq, 16));
        *(short*)(ifreq + 16) = Native.IFF_TAP | Native.IFF_NO_PI;
        if (Native.ioctl(fd, Native.TUNSETIFF, ifreq) < 0)
        {
            var error = Native.Errno();
            Native.close(fd);
            throw new IOException($"TUNSETIFF {interfaceName} for host '{host}' failed: {error}");
        }
        return new TapPort(host, interfaceName, fd);
    }

    internal override int Receive(Span<byte> buffer)
    {
        var fd = Volatile.Read(ref _fd);
        if (fd < 0) return -1;
        fixed (byte* b = buffer)
        {
            var n = Native.read(fd, b, buffer.Length);
            if (n >= 0) return (int)n;
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno is not (Native.EAGAIN or Native.EINTR)) return -1;
        }
        Native.PollFd p = new() { Fd = fd, Events = Native.POLLIN };
        var ready = Native.poll(&p, 1, PollIntervalMs);
        if (ready < 0) return System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Native.EINTR ? 0 : -1;
        return Volatile.Read(ref _fd) < 0 ? -1 : 0;
    }

    internal override void Send(ReadOnlySpan<byte> frame)
    {
        var fd = Volatile.Read(ref _fd);
        if (fd < 0) return;
        fixed (byte* b = frame)
            // A full TX queue (interface down, host not reading) returns an error: the frame is lost, as on a wire.
            Native.write(fd, b, frame.Length);
    }

    public override void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Native.close(fd);
    }
}
