using System.Text.RegularExpressions;
using HilRig.Rig.Drivers.Console;
using HilRig.Rig.Protocols;

namespace HilRig.Rig.Drivers.Shell;

/// <summary>
/// Runs shell commands over any console, as labgrid's ShellDriver does: the command is framed by two
/// random markers, the second followed by <c>$?</c>. Each marker is typed as two quoted halves
/// (<c>echo 'ab''cd'</c>), so the console's echo of the typed line never looks like the printed marker.
/// Works unchanged with a real board's <c>sh</c> and with HilRig.Device's console shell.
/// </summary>
public sealed class MarkerShellDriver(IConsoleProtocol console, ShellOptions options, Random random, string boardName) : IShellProtocol
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Regex _prompt = new(options.Prompt, RegexOptions.CultureInvariant);
    private volatile bool _promptSeenThisBoot;

    public TimeSpan CommandTimeout => options.CommandTimeout;

    /// <summary>Whether a prompt of the current boot has been seen (so the shell is known to be up).</summary>
    public bool PromptSeenThisBoot => _promptSeenThisBoot;

    /// <summary>A new boot began (power-on, reset): until its first prompt, silence is not answered.</summary>
    public void BeginBoot() => _promptSeenThisBoot = false;

    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation = default)
    {
        await _lock.WaitAsync(cancellation);
        try
        {
            await WaitReadyLockedAsync(timeout, cancellation);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task WaitReadyLockedAsync(TimeSpan timeout, CancellationToken cancellation)
    {
        var pattern = options.LoginPrompt is null
            ? _prompt
            : new Regex($"(?<prompt>{options.Prompt})|(?<login>{options.LoginPrompt})|(?<password>Password: ?$)|(?<incorrect>Login incorrect)", RegexOptions.Multiline);
        var loginsSent = 0;
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var left = deadline - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero)
                throw new ConsoleTimeoutException($"no shell prompt /{options.Prompt}/ on {boardName} within {timeout.TotalSeconds:0.#} s; console tail:\n{console.Log.Tail(Math.Max(0, console.Log.Length - 2000))}");
            ConsoleMatch match;
            try
            {
                match = await console.ExpectAsync(pattern, left < options.NudgeInterval ? left : options.NudgeInterval, cancellation);
            }
            catch (ConsoleTimeoutException)
            {
                // Silence: a prompt printed before we started reading is gone, so ask for a fresh one — unless this boot has
                // shown no prompt yet, when the board may be in a bootloader that a keystroke would stop.
                if (_promptSeenThisBoot || options.NudgeBeforeFirstPrompt) await console.SendAsync("\n", cancellation);
                continue;
            }
            _promptSeenThisBoot = true;
            if (options.LoginPrompt is null || match.Match.Groups["prompt"].Success) return;
            if (match.Match.Groups["incorrect"].Success && loginsSent > 0)
                throw new Engine.Runtime.RigFaultException(
                    $"board {boardName}: shell login as {options.Username ?? "root"} was refused: the board printed \"Login incorrect\" (check shell.username and shell.password in the rig file)");
            if (match.Match.Groups["login"].Success)
            {
                loginsSent++;
                await console.SendAsync((options.Username ?? "root") + "\n", cancellation);
            }
            else if (match.Match.Groups["password"].Success) await console.SendAsync((options.Password ?? "") + "\n", cancellation);
        }
    }

    public async Task<ShellResult> RunAsync(string command, TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (command.Contains('\n')) throw new ArgumentException("a shell command is one line", nameof(command));
        await _lock.WaitAsync(cancellation);
        try
        {
            var (a, b, c, d) = (Marker(), Marker(), Marker(), Marker());
            var framed = $"echo '{a}''{b}'; {command}; echo '{c}''{d}' $?\n";
            var pattern = new Regex($"{a}{b}\\n(?<out>[\\s\\S]*?){c}{d} (?<code>\\d+)\\n", RegexOptions.CultureInvariant);
            await console.SendAsync(framed, cancellation);
            ConsoleMatch match;
            try
            {
                match = await console.ExpectAsync(pattern, timeout, cancellation);
            }
            catch (ConsoleTimeoutException e)
            {
                throw new ConsoleTimeoutException($"command `{command}` on {boardName} did not finish within {timeout.TotalSeconds:0.#} s\n{e.Message}");
            }
            // Let the prompt after the command go by, so the next command starts from a quiet console.
            try
            {
                await console.ExpectAsync(_prompt, TimeSpan.FromSeconds(5), cancellation);
                _promptSeenThisBoot = true;
            }
            catch (ConsoleTimeoutException)
            {
                // A command like `reboot` never returns to a prompt; the output is still valid.
            }
            var output = match.Group("out");
            if (output.EndsWith('\n')) output = output[..^1];
            return new ShellResult(command, int.Parse(match.Group("code")), output);
        }
        finally
        {
            _lock.Release();
        }
    }

    private string Marker()
    {
        Span<byte> bytes = stackalloc byte[4];
        lock (random) random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
