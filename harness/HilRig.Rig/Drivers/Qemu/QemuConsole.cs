using System.Text.RegularExpressions;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Qemu;

/// <summary>
/// A QEMU board's serial console. QEMU puts the guest's ttyS0 on a pty of its own (<c>-chardev pty</c>), a new one at
/// every start, which the harness opens as a serial port — the same console code a physical board's UART uses. One log
/// and one read position span every power-on of the scenario; while QEMU is off, typed text goes nowhere, as on a
/// board without power.
/// </summary>
public sealed class QemuConsole(string boardName, ConsoleLog log, TimeProvider? time = null) : IConsoleProtocol, IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private (SerialPort Port, FdConsole Console)? _line;
    private long _readPosition;

    public ConsoleLog Log => log;

    public long ReadPosition
    {
        get => Interlocked.Read(ref _readPosition);
        set => Interlocked.Exchange(ref _readPosition, value);
    }

    /// <summary>
    /// Attaches the pty QEMU reported. The seam the physical-rig console (System.IO.Ports, issue 11) re-points: open
    /// the path as a serial port, read it into the board's log.
    /// </summary>
    public void Attach(string ptyPath)
    {
        var port = SerialPort.Open(ptyPath, 115200);
        var console = new FdConsole(port.Fd, boardName, log, _time);
        lock (_gate)
        {
            Detach_NeedsLock();
            _line = (port, console);
        }
    }

    /// <summary>QEMU is gone: stop reading its pty.</summary>
    public void Detach()
    {
        lock (_gate) Detach_NeedsLock();
    }

    private void Detach_NeedsLock()
    {
        if (_line is not { } line) return;
        line.Console.Dispose();
        line.Port.Dispose();
        _line = null;
    }

    public Task SendAsync(string text, CancellationToken cancellation = default)
    {
        FdConsole? console;
        lock (_gate) console = _line?.Console;
        return console?.SendAsync(text, cancellation) ?? Task.CompletedTask;
    }

    public Task<ConsoleMatch> ExpectAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellation = default) =>
        ConsoleExpectation.ExpectAsync(log, () => ReadPosition, p => ReadPosition = p, pattern, timeout, boardName, _time, cancellation);

    public void Dispose() => Detach();
}
