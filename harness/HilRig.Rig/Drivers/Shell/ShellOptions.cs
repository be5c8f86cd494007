namespace HilRig.Rig.Drivers.Shell;

/// <summary>How to recognise the board's shell and log in to it (labgrid ShellDriver's options).</summary>
public sealed record ShellOptions
{
    /// <summary>A regular expression matching the prompt.</summary>
    public required string Prompt { get; init; }

    public string? LoginPrompt { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>How long a command may run by default.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After this much silence while waiting for a prompt, a newline is sent to provoke one.</summary>
    public TimeSpan NudgeInterval { get; init; } = TimeSpan.FromSeconds(2);
}
