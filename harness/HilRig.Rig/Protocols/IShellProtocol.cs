namespace HilRig.Rig.Protocols;

/// <summary>Runs commands in a shell on the board and returns their output and exit code.</summary>
public interface IShellProtocol
{
    /// <summary>Waits until the shell answers at its prompt.</summary>
    Task WaitReadyAsync(TimeSpan timeout, CancellationToken cancellation = default);

    Task<ShellResult> RunAsync(string command, TimeSpan timeout, CancellationToken cancellation = default);

    /// <summary>How long a command may take unless a step says otherwise (the rig file's <c>shell.command_timeout</c>).</summary>
    TimeSpan CommandTimeout { get; }
}

/// <summary>What a command printed and how it exited.</summary>
public sealed record ShellResult(string Command, int ExitCode, string Output)
{
    public IReadOnlyList<string> Lines => Output.Length == 0 ? [] : Output.Split('\n');

    public bool Succeeded => ExitCode == 0;
}
