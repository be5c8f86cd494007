using System.CommandLine;
using System.Text.RegularExpressions;
using HilRig.Engine.Gherkin;
using HilRig.Engine.Reports;
using HilRig.Engine.Runtime;

namespace HilRig.Cli.Commands;

/// <summary>
/// Which scenarios a <c>run</c> or <c>list</c> picks, and in what split: features and lines, <c>--tags</c>, <c>--name REGEX</c>,
/// <c>--rerun-failed</c> (those that failed or did not run last time, from the results' manifest) and <c>--shard i/n</c>
/// (balanced by the durations of the last results when they exist). Both commands share it, so <c>list</c> with the same
/// arguments shows exactly what <c>run</c> would run.
/// </summary>
public sealed class PickleSelection
{
    public required IReadOnlyList<Pickle> Whole { get; init; }

    /// <summary>What this invocation runs: <see cref="Whole"/>, or this shard's part of it.</summary>
    public required IReadOnlyList<Pickle> Pickles { get; init; }

    public ShardSpec? Shard { get; init; }

    public ShardPlan.Split? Split { get; init; }

    /// <summary>Where the durations came from (a manifest), when there were any.</summary>
    public string? DurationsFrom { get; init; }

    /// <summary>The durations of the last results, for starting the longest scenarios first; null without results.</summary>
    public Func<Pickle, TimeSpan?>? Durations { get; init; }

    /// <summary>The place of a pickle in <see cref="Whole"/>: a shard's manifest records it, so merges restore the order.</summary>
    public int OrderOf(Pickle pickle) => _order.TryGetValue(pickle.Location, out var i) ? i : -1;

    private Dictionary<string, int> _order = new();

    /// <summary>A line saying what was picked, for run headers and <c>list</c>.</summary>
    public string Describe()
    {
        if (Shard is null) return "";
        var basis = Split!.Balanced ? $"balanced by the durations in {DurationsFrom}, ~{Split.Expected.TotalSeconds:0} s of work" : "dealt by pickle id";
        return $"shard {Shard}: {Pickles.Count} of {Whole.Count} scenario(s), {basis}, plan {Split.Digest}";
    }

    public sealed class Options
    {
        public Argument<string[]> Features { get; } = CommonOptions.Features();
        public Option<string?> Tags { get; } = CommonOptions.Tags();
        public Option<string?> Name { get; } = new("--name") { Description = "only scenarios whose name matches this regular expression (.NET syntax)" };
        public Option<string?> Shard { get; } = new("--shard") { Description = "i/n: run only the i-th of n parts of the selection (CI machines each take one; merge with `hilrig results merge`)" };
        public Option<bool> RerunFailed { get; } = new("--rerun-failed") { Description = "only the scenarios that failed or did not run in the last results (--results)" };
        public Option<string?> Durations { get; } = new("--durations")
        {
            Description = "a results directory or hilrig-run.json whose durations balance --shard and order the start (default: the last results); every shard must see the same one",
        };

        public void AddTo(Command command)
        {
            command.Arguments.Add(Features);
            foreach (var option in new Option[] { Tags, Name, Shard, RerunFailed, Durations }) command.Options.Add(option);
        }
    }

    public static PickleSelection Load(ParseResult parse, Options options, string resultsDirectory)
    {
        var filter = Loading.Tags(parse.GetValue(options.Tags));
        var name = NameFilter(parse.GetValue(options.Name));
        ShardSpec? shard = null;
        if (parse.GetValue(options.Shard) is { } shardText)
        {
            try
            {
                shard = ShardSpec.Parse(shardText);
            }
            catch (FormatException e)
            {
                throw new Loading.UsageException($"--shard {e.Message}");
            }
        }
        var set = Loading.Features(CommonOptions.FeaturesOrDefault(parse.GetValue(options.Features)), filter);
        var pickles = set.Pickles.Where(p => name is null || name.IsMatch(p.Name) || name.IsMatch(p.DisplayName)).ToList();

        var rerun = parse.GetValue(options.RerunFailed);
        // Only --rerun-failed depends on the last results; for anything else an unreadable manifest is just no durations.
        var last = rerun ? ReadManifest(resultsDirectory, "--rerun-failed") : TryReadManifest(resultsDirectory);
        if (rerun)
        {
            if (last is null)
                throw new Loading.UsageException($"--rerun-failed: no results of an earlier run in {resultsDirectory} ({RunManifest.FileName}); run without it first");
            var again = last.Scenarios.Where(s => s.NeedsRerun).ToList();
            var ids = again.Select(s => s.Id).ToHashSet();
            var locations = again.Select(s => s.Location).ToHashSet();
            pickles = pickles.Where(p => ids.Contains(p.Id) || locations.Contains(p.Location)).ToList();
        }

        string? durationsFrom = null;
        var durationSource = last;
        if (parse.GetValue(options.Durations) is { } durationsPath)
        {
            // Missing is normal (a CI cache before its first save): every shard then deals by pickle id alike. Unreadable is an error.
            durationSource = ReadManifest(durationsPath, "--durations");
            durationsFrom = durationSource is null ? null : durationsPath;
        }
        else if (last is not null)
        {
            durationsFrom = RunManifest.PathIn(resultsDirectory);
        }
        var durations = durationSource?.Durations();

        var selection = shard is null
            ? new PickleSelection { Whole = pickles, Pickles = pickles, Durations = durations, DurationsFrom = durationsFrom }
            : Sharded(pickles, shard, durations, durationsFrom);
        selection._order = pickles.Select((p, i) => (p.Location, i)).DistinctBy(x => x.Location).ToDictionary(x => x.Location, x => x.i);
        return selection;
    }

    private static PickleSelection Sharded(List<Pickle> pickles, ShardSpec shard, Func<Pickle, TimeSpan?>? durations, string? from)
    {
        var split = ShardPlan.Select(pickles, shard, durations);
        return new PickleSelection { Whole = pickles, Pickles = split.Mine, Shard = shard, Split = split, Durations = durations, DurationsFrom = from };
    }

    private static Regex? NameFilter(string? pattern)
    {
        if (pattern is null) return null;
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new Loading.UsageException($"--name '{pattern}' is not a regular expression: {e.Message}");
        }
    }

    private static RunManifest? TryReadManifest(string path)
    {
        try
        {
            return RunManifest.Read(path);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static RunManifest? ReadManifest(string path, string option)
    {
        try
        {
            return RunManifest.Read(path);
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            throw new Loading.UsageException($"{option}: {e.Message}");
        }
    }
}
