using System.Text;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// A TAP device: the host's side is an Ethernet interface (moved into its network namespace), the
/// switch's side is this file descriptor, one frame per read/write (IFF_NO_PI: no packet-info prefix).
/// The device is not persistent: it disappears when the descriptor closes, including when the process dies.
/// With offloads (IFF_VNET_HDR and TUNSETOFFLOAD csum+TSO) the host's stack hands over TCP super-frames of up to 64 KB
/// with partial checksums, as it would to a NIC with TSO, each behind a <see cref="VirtioNetHeader"/>.
/// </summary>
public sealed unsafe class TapPort : SwitchPort
{
    private const int PollIntervalMs = 100;
    private int _fd;

    private readonly bool _offloads;

    private TapPort(string host, string interfaceName, int fd, bool offloads) : base(host)
    {
        InterfaceName = interfaceName;
        _fd = fd;
        _offloads = offloads;
    }

    public override int OffloadHeaderLength => _offloads ? VirtioNetHeader.Length : 0;

    public override string Kind => "tap";

    /// <summary>The kernel's name for the device at creation (≤ 15 characters).</summary>
    public string InterfaceName { get; }

    /// <summary>Creates TAP device <paramref name="interfaceName"/> in the caller's network namespace.</summary>
    public static TapPort Create(string host, string interfaceName, bool offloads = false)
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
        *(short*)(ifreq + 16) = (short)(Native.IFF_TAP | Native.IFF_NO_PI | (offloads ? Native.IFF_VNET_HDR : 0));
        if (Native.ioctl(fd, Native.TUNSETIFF, ifreq) < 0)
        {
            var error = Native.Errno();
            Native.close(fd);
            throw new IOException($"TUNSETIFF {interfaceName} for host '{host}' failed: {error}");
        }
        if (offloads)
        {
            var headerSize = VirtioNetHeader.Length;
            // TUNSETOFFLOAD takes its flags by value; the device then advertises checksum offload and TSO to its stack.
            if (Native.ioctl(fd, Native.TUNSETVNETHDRSZ, &headerSize) < 0 ||
                Native.ioctl(fd, Native.TUNSETOFFLOAD, (void*)(nuint)(Native.TUN_F_CSUM | Native.TUN_F_TSO4 | Native.TUN_F_TSO6 | Native.TUN_F_TSO_ECN)) < 0)
            {
                var error = Native.Errno();
                Native.close(fd);
                throw new IOException($"TUNSETOFFLOAD on {interfaceName} for host '{host}' failed: {error}");
            }
        }
        return new TapPort(host, interfaceName, fd, offloads);
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
        if (_offloads)
        {
            // A plain wire frame still needs its (all-zero) virtio-net header in front; writev spares the copy.
            fixed (byte* h = VirtioNetHeader.Plain)
            fixed (byte* b = frame)
            {
                var vectors = stackalloc Native.IoVec[2];
                vectors[0] = new Native.IoVec { Base = h, Length = VirtioNetHeader.Length };
                vectors[1] = new Native.IoVec { Base = b, Length = frame.Length };
                Native.writev(fd, vectors, 2);
            }
            return;
        }
        fixed (byte* b = frame)
            // A full TX queue (interface down, host not reading) returns an error: the frame is lost, as on a wire.
            Native.write(fd, b, frame.Length);
    }


    internal override void SendWithHeader(ReadOnlySpan<byte> headerAndPacket)
    {
        if (!_offloads) throw new NotSupportedException($"TAP port {Host} was created without offloads");
        var fd = Volatile.Read(ref _fd);
        if (fd < 0) return;
        fixed (byte* b = headerAndPacket) Native.write(fd, b, headerAndPacket.Length);
    }

    public override void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Native.close(fd);
    }
}
