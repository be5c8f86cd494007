using System.Text;
using System.Text.RegularExpressions;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Console;

/// <summary>
/// A board console on any tty System.IO.Ports can open: a USB-serial adapter facing a real board, or the slave side of
/// a pty (a simulated bench, a QEMU serial port). One reader task copies everything into the <see cref="ConsoleLog"/>;
/// its reads are cancelled by token, since <c>BaseStream.ReadAsync</c> ignores <c>ReadTimeout</c>.
/// </summary>
public sealed class SerialConsole : IConsoleProtocol, IAsyncDisposable
{
    private readonly System.IO.Ports.SerialPort _port;
    private readonly string _name;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;
    private long _readPosition;

    private SerialConsole(System.IO.Ports.SerialPort port, string name, ConsoleLog log, TimeProvider time)
    {
        _port = port;
        _name = name;
        _time = time;
        Log = log;
        _reader = Task.Run(ReadLoopAsync);
    }

    /// <summary>Opens the port (by path, or by udev match) and starts reading. Throws IOException saying what went wrong.</summary>
    public static SerialConsole Open(SerialSettings settings, string name, ConsoleLog log, TimeProvider? time = null) =>
        new(SerialLine.Open(settings), name, log, time ?? TimeProvider.System);

    public ConsoleLog Log { get; }

    /// <summary>The tty this console reads.</summary>
    public string PortName => _port.PortName;

    /// <summary>Set when the line failed under us (an adapter unplugged); nothing more will arrive.</summary>
    public string? LostReason { get; private set; }

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
            await _port.BaseStream.WriteAsync(bytes, cancellation);
            await _port.BaseStream.FlushAsync(cancellation);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException)
        {
            throw new IOException($"writing to the console of {_name} ({_port.PortName}) failed: {e.Message}", e);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<ConsoleMatch> ExpectAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellation = default) =>
        ConsoleExpectation.ExpectAsync(Log, () => ReadPosition, p => ReadPosition = p, pattern, timeout, _name, _time, cancellation);

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[4096];
        var stream = _port.BaseStream;
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested) return;
                LostReason = $"the console line {_port.PortName} failed: {e.Message}";
                Log.Annotate(LostReason);
                return;
            }
            if (n > 0) Log.Append(buffer.AsSpan(0, n));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            // A read the driver does not cancel ends when the port closes below.
        }
        _port.Dispose();
        _writeLock.Dispose();
        _stop.Dispose();
    }
}
