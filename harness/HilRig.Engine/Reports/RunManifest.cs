using System.Reflection;
using System.Text.Json;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Runtime;

namespace HilRig.Engine.Reports;

/// <summary>
/// <c>DIR/hilrig-run.json</c>: what a run was (hilrig version, seed, shard, workers) and how each scenario ended, in
/// pickle order, with its duration. The next run reads it for <c>--rerun-failed</c>, for balancing <c>--shard</c> and for
/// starting the longest scenarios first; <c>hilrig results merge</c> reads it to refuse results of different versions
/// and shards that planned differently, and to put merged scenarios back in the order of the whole run.
/// </summary>
public sealed record RunManifest
{
    public const string FileName = "hilrig-run.json";
    public const string CurrentFormat = "hilrig-run/1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>The hilrig version that ran (assembly informational version: release and commit).</summary>
    public required string Hilrig { get; init; }

    public required string RunId { get; init; }

    public int Seed { get; init; }

    public string? Rig { get; init; }

    /// <summary><c>i/n</c> for one shard of a sharded run, else null.</summary>
    public string? Shard { get; init; }

    /// <summary>A digest of the shard assignment: every shard of one run has the same one.</summary>
    public string? Plan { get; init; }

    /// <summary>Scenarios in the whole selection (all shards together).</summary>
    public int Selected { get; init; }

    public int Workers { get; init; } = 1;

    public DateTimeOffset Started { get; init; }

    public double Seconds { get; init; }

    /// <summary>Why the run was interrupted, when it was.</summary>
    public string? Interrupted { get; init; }

    /// <summary>For merged results: the directories they came from.</summary>
    public IReadOnlyList<string>? MergedFrom { get; init; }

    public IReadOnlyList<ManifestScenario> Scenarios { get; init; } = [];

    /// <summary>The version of this hilrig, as manifests record it.</summary>
    public static string CurrentVersion { get; } =
        typeof(RunManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";

    // Plain UTF-8 and '+' as it is: the file is read by people too (version "1.0.0+commit", scenario names).
    private static readonly JsonTypeInfo<RunManifest> Readable =
        (JsonTypeInfo<RunManifest>)new JsonSerializerOptions(RunManifestJson.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }
            .GetTypeInfo(typeof(RunManifest));

    public static string PathIn(string resultsDirectory) => Path.Combine(resultsDirectory, FileName);

    /// <summary>The manifest in a results directory (or at a path to the file); null when there is none.</summary>
    public static RunManifest? Read(string directoryOrFile)
    {
        var path = File.Exists(directoryOrFile) ? directoryOrFile : PathIn(directoryOrFile);
        if (!File.Exists(path)) return null;
        try
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllText(path), RunManifestJson.Default.RunManifest)
                ?? throw new FormatException($"{path}: empty");
            if (manifest.Format != CurrentFormat) throw new FormatException($"{path}: format '{manifest.Format}', this hilrig reads '{CurrentFormat}'");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: not a hilrig run manifest ({e.Message})", e);
        }
    }

    public void Write(string resultsDirectory)
    {
        Directory.CreateDirectory(resultsDirectory);
        var path = PathIn(resultsDirectory);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Readable));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>How long each scenario (by pickle id, and by location for a renamed file's sake) took last time.</summary>
    public Func<Pickle, TimeSpan?> Durations()
    {
        var byId = Scenarios.Where(s => s.Ran).GroupBy(s => s.Id).ToDictionary(g => g.Key, g => TimeSpan.FromSeconds(g.First().Seconds));
        var byLocation = Scenarios.Where(s => s.Ran).GroupBy(s => s.Location).ToDictionary(g => g.Key, g => TimeSpan.FromSeconds(g.First().Seconds));
        return p => byId.TryGetValue(p.Id, out var d) ? d : byLocation.TryGetValue(p.Location, out d) ? d : null;
    }
}

/// <summary>
/// One scenario of a run: <see cref="Order"/> is its place in the whole selection, before sharding; <see cref="Seconds"/>
/// the duration of its last attempt.
/// </summary>
public sealed record ManifestScenario(
    string Id,
    string Location,
    string Name,
    int Order,
    string Outcome,
    bool Flaky,
    int Attempts,
    double Seconds,
    bool Ran,
    string? Message,
    string Replay)
{
    /// <summary>Failed in any way, or not run because the run was interrupted or stopped: what <c>--rerun-failed</c> runs again.</summary>
    [JsonIgnore]
    public bool NeedsRerun => !Ran || OutcomeValue.FailsTheRun();

    [JsonIgnore]
    public Runtime.Outcome OutcomeValue => Enum.GetValues<Runtime.Outcome>().FirstOrDefault(o => o.Word() == Outcome, Runtime.Outcome.Broken);
}

/// <summary>
/// Writes the manifest when the run finishes (and removes the previous run's when it starts, so a run killed outright
/// never leaves an older run's manifest beside its own reports). <paramref name="orderOf"/> gives a pickle's place in the
/// whole selection, when the run is one shard of it.
/// </summary>
public sealed class RunManifestWriter(string resultsDirectory, string? rig = null, int workers = 1, string? shard = null, string? plan = null,
    int? selected = null, Func<Pickle, int>? orderOf = null) : IRunListener
{
    private DateTimeOffset _started;
    private Dictionary<string, int> _order = new();

    public void RunStarted(RunContext run, IReadOnlyList<Pickle> pickles)
    {
        _started = DateTimeOffset.Now;
        _order = pickles.Select((p, i) => (p.Location, i)).DistinctBy(x => x.Location).ToDictionary(x => x.Location, x => x.i);
        File.Delete(RunManifest.PathIn(resultsDirectory));
    }

    public void RunFinished(RunContext run, RunResult result)
    {
        new RunManifest
        {
            Hilrig = RunManifest.CurrentVersion,
            RunId = run.RunId,
            Seed = run.Seed,
            Rig = rig,
            Shard = shard,
            Plan = plan,
            Selected = selected ?? result.Scenarios.Count,
            Workers = workers,
            Started = _started,
            Seconds = Math.Round(result.Duration.TotalSeconds, 3),
            Interrupted = result.Interruption,
            Scenarios = result.Scenarios.Select(s => new ManifestScenario(
                s.Pickle.Id, s.Pickle.Location, s.Pickle.DisplayName,
                orderOf?.Invoke(s.Pickle) ?? _order.GetValueOrDefault(s.Pickle.Location),
                s.Outcome.Word(), s.Flaky, s.Attempt, Math.Round(s.Duration.TotalSeconds, 3),
                s.Steps.Count > 0 || s.Hooks.Count > 0, s.FailureMessage?.Split('\n')[0], s.ReplayCommand)).ToList(),
        }.Write(resultsDirectory);
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunManifest))]
internal sealed partial class RunManifestJson : JsonSerializerContext;
