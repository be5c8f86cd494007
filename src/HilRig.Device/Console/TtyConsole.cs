using System.Runtime.InteropServices;
using System.Text;

namespace HilRig.Device.Console;

/// <summary>
/// The device's console: a tty it opens by path, as firmware opens its UART. Lines are read in the tty's
/// canonical mode (the kernel does echo and line editing, as on a real serial console).
/// </summary>
public sealed partial class TtyConsole : IDeviceConsole
{
    private readonly int _fd;
    private readonly object _writeLock = new();
    private readonly List<byte> _pending = new();

    private TtyConsole(int fd) => _fd = fd;

    public static TtyConsole Open(string path)
    {
        const int O_RDWR = 0x2, O_NOCTTY = 0x100, O_CLOEXEC = 0x80000;
        var fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) throw new IOException($"cannot open console {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        return new TtyConsole(fd);
    }

    public void Write(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        lock (_writeLock)
        {
            var offset = 0;
            while (offset < bytes.Length)
            {
                var n = write(_fd, bytes.AsSpan(offset), bytes.Length - offset);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == 4) continue;
                    throw new IOException($"console write failed: {Marshal.GetLastPInvokeErrorMessage()}");
                }
                offset += (int)n;
            }
        }
    }

    /// <summary>The next line typed at the console, or null when the console is gone.</summary>
    public string? ReadLine()
    {
        Span<byte> buffer = stackalloc byte[1024];
        while (true)
        {
            var newline = _pending.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(_pending.GetRange(0, newline).ToArray()).TrimEnd('\r');
                _pending.RemoveRange(0, newline + 1);
                return line;
            }
            var n = read(_fd, buffer, buffer.Length);
            if (n > 0)
            {
                for (var i = 0; i < n; i++) _pending.Add(buffer[i]);
                continue;
            }
            if (n < 0 && Marshal.GetLastPInvokeError() == 4) continue;
            return null;
        }
    }

    public void Dispose() => close(_fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint read(int fd, Span<byte> buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint write(int fd, ReadOnlySpan<byte> buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
