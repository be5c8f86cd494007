using HilRig.Engine.Bindings;

namespace HilRig.Engine.Runtime;

/// <summary>What a run was asked to do; one per run, available to every binding.</summary>
[RunScoped]
public sealed class RunContext
{
    public RunContext(RunOptions options)
    {
        Options = options;
        RunId = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{options.Seed:x}";
    }

    public RunOptions Options { get; }

    /// <summary>The run's step definitions and hooks, for reports that describe them (Cucumber Messages).</summary>
    public BindingRegistry? Bindings { get; internal set; }

    public int Seed => Options.Seed;

    /// <summary>When set, every board console line is passed here as it arrives (<c>hilrig run --follow</c>).</summary>
    public Action<string, string>? ConsoleFollower { get; set; }

    /// <summary>Identifies this run in artefact paths.</summary>
    public string RunId { get; }

    /// <summary>Why the run was interrupted (e.g. "interrupted by SIGINT"), once it was; scenarios not run say so.</summary>
    public string? InterruptReason { get; internal set; }

    /// <summary>Directory for this run's per-scenario artefacts (console logs, captures, board state).</summary>
    public string ArtifactsDirectory => Path.Combine(Options.ResultsDirectory, "artifacts");

    /// <summary>
    /// <c>feature:line</c> as a user at the replay directory types it; the feature path as given when there is none
    /// (the NUnit bridge runs from bin/, where the path it was given reads ../../../../…).
    /// </summary>
    public string Location(Gherkin.Pickle pickle, int line) => Options.ReplayDirectory is { } root
        ? $"{Path.GetRelativePath(root, Path.GetFullPath(pickle.Uri)).Replace('\\', '/')}:{line}"
        : $"{pickle.Uri}:{line}";

    /// <summary>The command that reruns exactly one scenario with the same seed, rig and fault plan.</summary>
    public string ReplayCommand(Gherkin.Pickle pickle)
    {
        var location = Location(pickle, pickle.Line);
        var parts = new List<string> { "./hilrig run", Quote(location), "--seed", Options.Seed.ToString() };
        if (Options.RigFile is { } rig && !Options.RigIsDefault) parts.AddRange(["--rig", Quote(rig)]);
        parts.AddRange(Options.ReplayArguments.Select(Quote));
        return string.Join(' ', parts);
    }

    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsLetterOrDigit(c) || "/._-:=@".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}

/// <summary>Options of one run, as given on the command line or by the NUnit bridge.</summary>
public sealed record RunOptions
{
    public int Seed { get; init; }

    public string ResultsDirectory { get; init; } = "reports";

    public string? RigFile { get; init; }

    public bool RigIsDefault { get; init; } = true;

    public bool DryRun { get; init; }

    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long a step (or hook) that timed out or was interrupted gets to stop after its CancellationToken fires, before
    /// the scenario's teardown starts without it.
    /// </summary>
    public TimeSpan StepStopGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a failed or broken scenario runs again (<c>--retry N</c>); one that then passes is flaky.</summary>
    public int Retries { get; init; }

    /// <summary>A fault plan (YAML) that starts with every scenario (<c>--plan FILE</c>).</summary>
    public string? FaultPlan { get; init; }

    /// <summary>Extra arguments a replay needs, e.g. <c>--plan FILE</c>.</summary>
    public IReadOnlyList<string> ReplayArguments { get; init; } = [];

    /// <summary>
    /// Where the replay line's <c>./hilrig</c> is run (the repository root): feature paths in it are made relative to
    /// this, whatever the run's working directory was (the NUnit bridge runs in its bin directory). Null: as given.
    /// </summary>
    public string? ReplayDirectory { get; init; }

    /// <summary>The tag expression the run was filtered by, for the report's environment.</summary>
    public string? TagFilter { get; init; }

    public static int NewSeed() => Random.Shared.Next(1, int.MaxValue);
}
