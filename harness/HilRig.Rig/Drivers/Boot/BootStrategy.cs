using System.Text.RegularExpressions;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Drivers.Shell;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Boot;

/// <summary>
/// Brings a physical board from power-on to its shell (labgrid's ShellStrategy / UBootStrategy): with a bootloader
/// driver it waits for the autoboot countdown, stops it, lets steps run bootloader commands and boots; without one it
/// sends nothing until a login or shell prompt appears. It reads every console line for kernel panics, oopses and
/// resets nobody asked for, and reports them as the board's health.
/// </summary>
public sealed class BootStrategy : IShellProtocol, IBootloaderProtocol, IBoardHealth, IDisposable
{
    private readonly IConsoleProtocol _console;
    private readonly MarkerShellDriver _shell;
    private readonly BootloaderOptions? _bootloader;
    private readonly string _boardName;
    private readonly object _gate = new();
    private readonly List<string> _faults = new();
    private BootState _state = BootState.Off;
    private bool _restartExpected;
    private long _bootStart;

    public BootStrategy(IConsoleProtocol console, MarkerShellDriver shell, BootloaderOptions? bootloader, string boardName)
    {
        _console = console;
        _shell = shell;
        _bootloader = bootloader;
        _boardName = boardName;
        console.Log.LineReceived += Watch;
    }

    public enum BootState
    {
        Off,
        Booting,
        Bootloader,
        Shell,
    }

    public BootState State
    {
        get
        {
            lock (_gate) return _state;
        }
    }

    public TimeSpan CommandTimeout => _shell.CommandTimeout;

    /// <summary>Kernel faults and unexpected resets seen since the last power-on.</summary>
    public IReadOnlyList<string> Faults
    {
        get
        {
            lock (_gate) return _faults.ToList();
        }
    }

    /// <summary>The first fatal fault of this boot (a panic, an unexpected reset); the boot wait ends with it.</summary>
    public string? StopReason { get; private set; }

    public bool StopWasRigFault => false;

    /// <summary>Whether the shell answered in this boot, so an orderly power-off can type <c>poweroff</c>.</summary>
    public bool ShellIsUp => State == BootState.Shell;

    /// <summary>Power was applied: a new boot starts.</summary>
    public void PoweredOn()
    {
        lock (_gate)
        {
            _state = BootState.Booting;
            _faults.Clear();
            StopReason = null;
            _restartExpected = true;
            _bootStart = _console.Log.Length;
        }
        _shell.BeginBoot();
    }

    public void PoweredOff()
    {
        lock (_gate) _state = BootState.Off;
    }

    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        if (_bootloader is not null && State == BootState.Booting && !AutobootIsOver(_bootloader)) await StopAutobootAsync(cancellation);
        if (State == BootState.Bootloader) await BootAsync(cancellation);
        var left = deadline - DateTimeOffset.UtcNow;
        await _shell.WaitReadyAsync(left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), cancellation);
        lock (_gate) _state = BootState.Shell;
    }

    public async Task<ShellResult> RunAsync(string command, TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (State == BootState.Bootloader)
            throw new InvalidOperationException($"board {_boardName} is at its bootloader prompt; boot it before running shell commands");
        return await _shell.RunAsync(command, timeout, cancellation);
    }

    /// <summary>
    /// Whether this boot's autoboot countdown has already run out (steps read the console past it, and the system is
    /// booting): then there is nothing to stop, and typing now would only reach the booting system.
    /// </summary>
    private bool AutobootIsOver(BootloaderOptions bootloader)
    {
        long start;
        lock (_gate) start = _bootStart;
        var text = _console.Log.Substring(start);
        var at = text.IndexOf(bootloader.Autoboot, StringComparison.Ordinal);
        return at >= 0 && text.IndexOf('\n', at) >= 0 && !text.TrimEnd().EndsWith(bootloader.Prompt.TrimEnd(), StringComparison.Ordinal);
    }

    public async Task StopAutobootAsync(CancellationToken cancellation = default)
    {
        var bootloader = _bootloader ?? throw new RigFaultException($"board {_boardName} has no bootloader driver in the rig file");
        if (State == BootState.Bootloader) return;
        // The countdown may have begun before anyone asked (steps read the console past it): look from the boot's start.
        long start;
        lock (_gate) start = _bootStart;
        if (_console.ReadPosition > start) _console.ReadPosition = start;
        try
        {
            await _console.ExpectAsync(new Regex(Regex.Escape(bootloader.Autoboot)), bootloader.Timeout, cancellation);
        }
        catch (ConsoleTimeoutException e)
        {
            throw new RigFaultException($"board {_boardName}: bootloader: no \"{bootloader.Autoboot}\" within {bootloader.Timeout.TotalSeconds:0.#} s of power-on\n{e.Message}");
        }
        // Any key stops the countdown; labgrid's UBootDriver sends a newline too.
        await _console.SendAsync("\n", cancellation);
        await ExpectPromptAsync(bootloader, TimeSpan.FromSeconds(10), "after stopping autoboot", cancellation);
        lock (_gate) _state = BootState.Bootloader;
    }

    async Task<string> IBootloaderProtocol.RunAsync(string command, TimeSpan timeout, CancellationToken cancellation)
    {
        var bootloader = _bootloader ?? throw new RigFaultException($"board {_boardName} has no bootloader driver in the rig file");
        if (State != BootState.Bootloader) await StopAutobootAsync(cancellation);
        await _console.SendAsync(command + "\n", cancellation);
        var match = await ExpectPromptAsync(bootloader, timeout, $"after `{command}`", cancellation);
        // The bootloader echoes the command line first; the output is what follows it.
        var output = match.Before;
        var echo = output.IndexOf(command, StringComparison.Ordinal);
        if (echo >= 0) output = output[(echo + command.Length)..];
        return output.Trim('\n');
    }

    public async Task BootAsync(CancellationToken cancellation = default)
    {
        var bootloader = _bootloader ?? throw new RigFaultException($"board {_boardName} has no bootloader driver in the rig file");
        if (State != BootState.Bootloader) await StopAutobootAsync(cancellation);
        await _console.SendAsync(bootloader.BootCommand + "\n", cancellation);
        lock (_gate)
        {
            _state = BootState.Booting;
            _restartExpected = true;
        }
    }

    private async Task<ConsoleMatch> ExpectPromptAsync(BootloaderOptions bootloader, TimeSpan timeout, string when, CancellationToken cancellation)
    {
        try
        {
            return await _console.ExpectAsync(new Regex(Regex.Escape(bootloader.Prompt)), timeout, cancellation);
        }
        catch (ConsoleTimeoutException e)
        {
            throw new RigFaultException($"board {_boardName}: bootloader: no prompt \"{bootloader.Prompt}\" {when}\n{e.Message}");
        }
    }

    /// <summary>Reads each console line for faults (runs on the console's reader).</summary>
    private void Watch(string line)
    {
        if (ConsoleFaults.IsOrderlyRestart(line))
        {
            lock (_gate)
            {
                _restartExpected = true;
                _bootStart = _console.Log.Length;
                if (_state == BootState.Shell) _state = BootState.Booting;
            }
            _shell.BeginBoot();
            return;
        }
        if (ConsoleFaults.IsBootloaderBanner(line) || (_bootloader is not null && line.Contains(_bootloader.Autoboot, StringComparison.Ordinal)))
        {
            bool unexpected;
            lock (_gate)
            {
                // Only a board that had reached its shell can be reset unexpectedly; during a boot, the bootloader's
                // banner and its autoboot line belong to the same start.
                unexpected = !_restartExpected && _state == BootState.Shell;
                _restartExpected = false;
                if (_state == BootState.Shell) _state = BootState.Booting;
            }
            _shell.BeginBoot();
            if (unexpected) Record($"unexpected reset: the bootloader started again (\"{line.Trim()}\") without a power-on or reboot", fatal: true);
            return;
        }
        if (ConsoleFaults.KernelFault(line) is { } fault)
        {
            lock (_gate) _restartExpected = false;
            Record($"{fault}: {line.Trim()}", fatal: fault == "kernel panic");
        }
    }

    private void Record(string fault, bool fatal)
    {
        lock (_gate)
        {
            _faults.Add(fault);
            if (fatal) StopReason ??= fault;
        }
        _console.Log.Annotate(fault);
    }

    public void Dispose() => _console.Log.LineReceived -= Watch;
}
