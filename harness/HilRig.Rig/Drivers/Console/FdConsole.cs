using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using HilRig.Rig.Native;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Console;

/// <summary>
/// A console over a pty master (process boards), read by one thread that polls, so closing never races a blocked read.
/// Ttys opened by path — USB-serial adapters, pty slaves — use <see cref="SerialConsole"/> (System.IO.Ports).
/// </summary>
public sealed class FdConsole : IConsoleProtocol, IDisposable
{
    private readonly int _fd;
    private readonly string _name;
    private readonly Thread _reader;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _stopping;
    private long _readPosition;

    public FdConsole(int fd, string name, ConsoleLog log, TimeProvider? time = null)
    {
        _fd = fd;
        _name = name;
        _time = time ?? TimeProvider.System;
        Log = log;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"console {name}" };
        _reader.Start();
    }

    public ConsoleLog Log { get; }

    public long ReadPosition
    {
        get => Interlocked.Read(ref _readPosition);
        set => Interlocked.Exchange(ref _readPosition, value);
    }

    public async Task SendAsync(string text, CancellationToken cancellation = default)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        await _writeLock.WaitAsync(cancellation);
        try
        {
            var offset = 0;
            while (offset < bytes.Length)
            {
                var n = Libc.write(_fd, bytes.AsSpan(offset), bytes.Length - offset);
                if (n < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Libc.EINTR or Libc.EAGAIN)
                    {
                        await Task.Yield();
                        continue;
                    }
                    throw new IOException($"writing to the console of {_name} failed: {Libc.LastError()}");
                }
                offset += (int)n;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<ConsoleMatch> ExpectAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellation = default) =>
        ConsoleExpectation.ExpectAsync(Log, () => ReadPosition, p => ReadPosition = p, pattern, timeout, _name, _time, cancellation);

    private void ReadLoop()
    {
        Span<Libc.PollFd> fds = stackalloc Libc.PollFd[1];
        var buffer = new byte[4096];
        while (!_stopping)
        {
            fds[0] = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
            var ready = Libc.poll(fds, 1, 100);
            if (ready <= 0) continue;
            if ((fds[0].Revents & Libc.POLLNVAL) != 0) return;
            if ((fds[0].Revents & (Libc.POLLIN | Libc.POLLHUP | Libc.POLLERR)) == 0) continue;
            var n = Libc.read(_fd, buffer, buffer.Length);
            if (n > 0)
            {
                Log.Append(buffer.AsSpan(0, (int)n));
            }
            else if (n < 0 && Marshal.GetLastPInvokeError() is not (Libc.EINTR or Libc.EAGAIN))
            {
                // A USB-serial adapter that disappears (or a pty with no peer) reports EIO; keep trying, slowly.
                Thread.Sleep(200);
            }
            else if (n == 0)
            {
                Thread.Sleep(50);
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _reader.Join(TimeSpan.FromSeconds(2));
        _writeLock.Dispose();
    }
}
