using HilRig.Rig.Native;

namespace HilRig.Rig.Drivers.Serial;

/// <summary>
/// A serial port opened through termios: raw mode, the given speed, 8N1, blocking reads of at least one byte.
/// This is how a USB-serial adapter facing a real board is driven (System.IO.Ports does not restore here).
/// </summary>
public sealed class SerialPort : IDisposable
{
    private int _fd;

    private SerialPort(int fd, string path, int baud)
    {
        _fd = fd;
        Path = path;
        Baud = baud;
    }

    public int Fd => _fd;

    public string Path { get; }

    public int Baud { get; }

    public static SerialPort Open(string path, int baud)
    {
        var speed = SpeedConstant(baud);
        var fd = Libc.open(path, Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_CLOEXEC);
        if (fd < 0) throw new IOException($"cannot open serial port {path}: {Libc.LastError()}");
        try
        {
            if (Libc.tcgetattr(fd, out var termios) != 0) throw new IOException($"{path} is not a tty: {Libc.LastError()}");
            Libc.cfmakeraw(ref termios);
            if (Libc.cfsetspeed(ref termios, speed) != 0) throw new IOException($"{path}: cannot set {baud} baud: {Libc.LastError()}");
            unsafe
            {
                termios.c_cc[Libc.VMIN] = 1;
                termios.c_cc[Libc.VTIME] = 0;
            }
            const uint CLOCAL = 0x800, CREAD = 0x80;
            termios.c_cflag |= CLOCAL | CREAD;
            if (Libc.tcsetattr(fd, Libc.TCSANOW, termios) != 0) throw new IOException($"{path}: tcsetattr failed: {Libc.LastError()}");
            Libc.tcflush(fd, Libc.TCIOFLUSH);
            return new SerialPort(fd, path, baud);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>The speed the port is actually set to, read back from the driver.</summary>
    public int ReadBackBaud()
    {
        if (Libc.tcgetattr(_fd, out var termios) != 0) throw new IOException($"{Path}: tcgetattr failed: {Libc.LastError()}");
        var constant = Libc.cfgetospeed(termios);
        return Speeds.First(s => s.Constant == constant).Baud;
    }

    private static readonly (int Baud, uint Constant)[] Speeds =
    [
        (9600, 0xD), (19200, 0xE), (38400, 0xF), (57600, 0x1001), (115200, 0x1002), (230400, 0x1003), (460800, 0x1004), (921600, 0x1007),
    ];

    private static uint SpeedConstant(int baud) =>
        Speeds.FirstOrDefault(s => s.Baud == baud) is { Constant: > 0 } s
            ? s.Constant
            : throw new ArgumentOutOfRangeException(nameof(baud), baud, $"unsupported speed; use one of {string.Join(", ", Speeds.Select(x => x.Baud))}");

    public void Dispose()
    {
        if (_fd >= 0) Libc.close(_fd);
        _fd = -1;
    }
}
