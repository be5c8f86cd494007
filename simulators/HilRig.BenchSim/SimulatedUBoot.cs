using System.Text;

namespace HilRig.BenchSim;

/// <summary>
/// A U-Boot in front of the simulated board: banner, "Hit any key to stop autoboot" with a countdown, and when a key
/// stops it, a <c>=&gt; </c> prompt that knows <c>version</c>, <c>printenv</c>, <c>echo</c> and <c>boot</c>. Whether the
/// countdown was stopped is what tells a harness that types into the autoboot from one that waits.
/// </summary>
internal sealed class SimulatedUBoot(Action<string> write, TimeSpan autobootDelay)
{
    public const string Banner = "U-Boot 2024.01 (Jan 08 2024 - 12:00:00 +0000)";
    public const string Autoboot = "Hit any key to stop autoboot";
    public const string Prompt = "=> ";

    private readonly StringBuilder _line = new();
    private TaskCompletionSource _key = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _boot = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _countingDown;
    private volatile bool _atPrompt;

    /// <summary>Whether the bootloader holds the console (countdown or prompt); keys go to it then.</summary>
    public bool Active => _countingDown || _atPrompt;

    /// <summary>Runs the bootloader until it boots; returns whether a key stopped the countdown.</summary>
    public async Task<bool> RunAsync(CancellationToken cancellation)
    {
        _key = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _boot = new(TaskCreationOptions.RunContinuationsAsynchronously);
        _line.Clear();
        write($"\r\n\r\n{Banner}\r\n\r\nDRAM:  512 MiB\r\nIn:    serial\r\nOut:   serial\r\n");
        var seconds = (int)Math.Ceiling(autobootDelay.TotalSeconds);
        write($"{Autoboot}: {seconds,2}");
        _countingDown = true;
        var interrupted = false;
        try
        {
            for (var left = seconds; left > 0 && !interrupted; left--)
            {
                var tick = Task.Delay(TimeSpan.FromSeconds(1), cancellation);
                interrupted = await Task.WhenAny(tick, _key.Task) == _key.Task;
                cancellation.ThrowIfCancellationRequested();
                if (!interrupted) write($"\b\b\b {left - 1,1} ");
            }
        }
        finally
        {
            _countingDown = false;
        }
        if (!interrupted)
        {
            write("\r\n");
            return false;
        }
        write("\b\b\b 0 \r\n" + Prompt);
        _atPrompt = true;
        try
        {
            await _boot.Task.WaitAsync(cancellation);
        }
        finally
        {
            _atPrompt = false;
        }
        return true;
    }

    /// <summary>Keys from the console while the bootloader holds it.</summary>
    public void Type(string text)
    {
        if (_countingDown)
        {
            _key.TrySetResult();
            return;
        }
        if (!_atPrompt) return;
        foreach (var c in text)
        {
            if (c is '\r' or '\n')
            {
                write("\r\n");
                var command = _line.ToString().Trim();
                _line.Clear();
                if (Run(command)) return;
                write(Prompt);
            }
            else
            {
                _line.Append(c);
                write(c.ToString());
            }
        }
    }

    /// <summary>Runs a command; true when it boots.</summary>
    private bool Run(string command)
    {
        var words = command.Split(' ', 2);
        switch (words[0])
        {
            case "":
                return false;
            case "boot" or "bootm" or "bootd":
                write("## Booting kernel from Legacy Image at 82000000 ...\r\nStarting kernel ...\r\n\r\n");
                _boot.TrySetResult();
                return true;
            case "version":
                write($"{Banner}\r\n");
                return false;
            case "printenv":
                write("bootcmd=run distro_bootcmd\r\nbootdelay=2\r\nbaudrate=115200\r\n\r\nEnvironment size: 62/8188 bytes\r\n");
                return false;
            case "echo":
                write((words.Length > 1 ? words[1] : "") + "\r\n");
                return false;
            default:
                write($"Unknown command '{words[0]}' - try 'help'\r\n");
                return false;
        }
    }
}
