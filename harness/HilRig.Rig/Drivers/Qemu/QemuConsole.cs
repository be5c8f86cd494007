using System.Text.RegularExpressions;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.Serial;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Qemu;

/// <summary>
/// A QEMU board's serial console. QEMU puts the guest's ttyS0 on a pty of its own (<c>-chardev pty</c>), a new one at
/// every start, which the harness opens with <see cref="SerialConsole"/> — the same console code a physical board's UART
/// uses. One log and one read position span every power-on of the scenario; while QEMU is off, typed text goes nowhere,
/// as on a board without power.
/// </summary>
public sealed class QemuConsole(string boardName, ConsoleLog log, TimeProvider? time = null) : IConsoleProtocol, IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private SerialConsole? _line;
    private long _readPosition;

    public ConsoleLog Log => log;

    public long ReadPosition
    {
        get => Interlocked.Read(ref _readPosition);
        set => Interlocked.Exchange(ref _readPosition, value);
    }

    /// <summary>Attaches the pty QEMU reported: opens it as a serial port and reads it into the board's log.</summary>
    public async Task AttachAsync(string ptyPath)
    {
        var line = SerialConsole.Open(new SerialSettings { Path = ptyPath, Baud = 115200 }, boardName, log, _time);
        SerialConsole? previous;
        lock (_gate)
        {
            previous = _line;
            _line = line;
        }
        if (previous is not null) await previous.DisposeAsync();
    }

    /// <summary>QEMU is gone: stop reading its pty.</summary>
    public async Task DetachAsync()
    {
        SerialConsole? line;
        lock (_gate)
        {
            line = _line;
            _line = null;
        }
        if (line is not null) await line.DisposeAsync();
    }

    public Task SendAsync(string text, CancellationToken cancellation = default)
    {
        SerialConsole? line;
        lock (_gate) line = _line;
        return line?.SendAsync(text, cancellation) ?? Task.CompletedTask;
    }

    // Matches against the shared log with this console's own read position, which outlives each pty.
    public Task<ConsoleMatch> ExpectAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellation = default) =>
        ConsoleExpectation.ExpectAsync(log, () => ReadPosition, p => ReadPosition = p, pattern, timeout, boardName, _time, cancellation);

    public ValueTask DisposeAsync() => new(DetachAsync());
}
