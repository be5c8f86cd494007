using System.Runtime.InteropServices;
using HilRig.Rig.Native;

namespace HilRig.BenchSim;

/// <summary>
/// The bench's end of a serial cable: a pty master this process reads and writes, and a symlink to its slave that the
/// harness opens as if it were /dev/ttyUSB0. The slave is not held here, so the harness is its only opener (as with a
/// real adapter); output written while nobody listens is dropped, as a UART's would be.
/// </summary>
internal sealed class PtyPort : IDisposable
{
    private readonly Pty _pty;
    private readonly Thread _reader;
    private volatile bool _stopping;

    public PtyPort(string link, Action<byte[]> received)
    {
        _pty = Pty.Open(holdSlave: false);
        Link = link;
        File.Delete(link);
        File.CreateSymbolicLink(link, _pty.SlavePath);
        _reader = new Thread(() => ReadLoop(received)) { IsBackground = true, Name = $"pty {Path.GetFileName(link)}" };
        _reader.Start();
    }

    public string Link { get; }

    private const short PollOut = 0x4;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        Span<Libc.PollFd> fds = stackalloc Libc.PollFd[1];
        while (bytes.Length > 0)
        {
            // Never block: a full line (nobody reading) drops bytes instead of stalling the bench.
            fds[0] = new Libc.PollFd { Fd = _pty.MasterFd, Events = PollOut };
            if (Libc.poll(fds, 1, 0) <= 0 || (fds[0].Revents & PollOut) == 0) return;
            var n = Libc.write(_pty.MasterFd, bytes, bytes.Length);
            if (n <= 0) return; // nobody on the other end, or it is full: the bytes are lost, as on a UART
            bytes = bytes[(int)n..];
        }
    }

    public void Write(string text) => Write(System.Text.Encoding.UTF8.GetBytes(text));

    private void ReadLoop(Action<byte[]> received)
    {
        Span<Libc.PollFd> fds = stackalloc Libc.PollFd[1];
        var buffer = new byte[4096];
        while (!_stopping)
        {
            fds[0] = new Libc.PollFd { Fd = _pty.MasterFd, Events = Libc.POLLIN };
            if (Libc.poll(fds, 1, 100) <= 0) continue;
            if ((fds[0].Revents & Libc.POLLIN) == 0)
            {
                // POLLHUP: no slave open yet (or any more). Wait for the harness to open it.
                Thread.Sleep(50);
                continue;
            }
            var n = Libc.read(_pty.MasterFd, buffer, buffer.Length);
            if (n > 0) received(buffer[..(int)n]);
            else if (n < 0 && Marshal.GetLastPInvokeError() is not (Libc.EINTR or Libc.EAGAIN)) Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _reader.Join(TimeSpan.FromSeconds(1));
        _pty.Dispose();
        try
        {
            File.Delete(Link);
        }
        catch (IOException)
        {
        }
    }
}
