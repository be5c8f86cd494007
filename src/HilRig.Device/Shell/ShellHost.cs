using HilRig.Device.Console;

namespace HilRig.Device.Shell;

/// <summary>The console shell: prints the prompt, reads a line, runs its commands in order.</summary>
public sealed class ShellHost(IDeviceConsole console, DeviceHost device, IReadOnlyDictionary<string, IShellCommand> commands)
{
    private int _lastExitCode;

    public string Prompt => $"root@{device.Config.Name}:~# ";

    /// <summary>Runs until a command asks the device to stop, or the console goes away.</summary>
    public async Task<int> RunAsync()
    {
        var context = new ShellContext(console, device);
        if (!Login()) return DeviceExitCode.ConsoleLost;
        while (device.StopRequest is null)
        {
            console.Write(Prompt);
            var line = console.ReadLine();
            if (line is null) return DeviceExitCode.ConsoleLost;
            await ExecuteAsync(context, line);
        }
        return device.StopRequest.Value;
    }

    /// <summary>
    /// With the setting <c>console.login</c> = <c>user:password</c>, the console asks for a login first, as getty and
    /// login(1) do on a real board: "NAME login: ", "Password: ", and "Login incorrect" on a mismatch. False when the
    /// console goes away.
    /// </summary>
    private bool Login()
    {
        var login = device.Config.Setting("console.login", "");
        if (login.Length == 0) return true;
        var (user, password) = login.IndexOf(':') is var colon and >= 0 ? (login[..colon], login[(colon + 1)..]) : (login, "");
        while (device.StopRequest is null)
        {
            console.Write($"{device.Config.Name} login: ");
            var name = console.ReadLine();
            if (name is null) return false;
            console.Write("Password: ");
            var given = console.ReadLine();
            if (given is null) return false;
            if (name.Trim() == user && given == password) return true;
            console.Write("\nLogin incorrect\n");
        }
        return true;
    }

    public async Task ExecuteAsync(ShellContext context, string line)
    {
        try
        {
            foreach (var command in CommandLine.SplitCommands(line))
            {
                if (device.StopRequest is not null) return;
                // $? must see the exit code of the command just before, so each command is parsed when its turn comes.
                var words = CommandLine.Parse(command, _lastExitCode);
                if (words.Count == 1) _lastExitCode = await RunCommandAsync(context, words[0]);
            }
        }
        catch (FormatException e)
        {
            context.WriteLine($"sh: syntax error: {e.Message}");
            _lastExitCode = 2;
        }
    }

    private async Task<int> RunCommandAsync(ShellContext context, IReadOnlyList<string> words)
    {
        // Longest match first, so "ab status" wins over "ab".
        for (var n = Math.Min(words.Count, 3); n >= 1; n--)
        {
            var name = string.Join(' ', words.Take(n));
            if (commands.TryGetValue(name, out var command))
            {
                try
                {
                    return await command.RunAsync(context, words.Skip(n).ToList());
                }
                catch (Exception e)
                {
                    context.WriteLine($"{name}: {e.Message}");
                    return 1;
                }
            }
        }
        context.WriteLine($"sh: {words[0]}: not found");
        return 127;
    }
}
