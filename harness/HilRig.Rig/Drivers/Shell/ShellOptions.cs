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

    /// <summary>
    /// Whether silence before the first prompt of a boot may be answered with a newline. A process board has nothing
    /// but Linux on its console; a real board may sit in U-Boot's autoboot countdown, which any key stops, so physical
    /// boards send nothing until a prompt of this boot has appeared (see <see cref="MarkerShellDriver.BeginBoot"/>).
    /// </summary>
    public bool NudgeBeforeFirstPrompt { get; init; } = true;
}
