using System.Security.Cryptography;
using System.Text;
using HilRig.Engine.Gherkin;

namespace HilRig.Engine.Runtime;

/// <summary><c>--shard i/n</c>: the i-th of n parts of a run, counted from 1.</summary>
public sealed record ShardSpec(int Index, int Count)
{
    /// <summary>Parses <c>i/n</c>; a malformed one, or a shard that does not exist (<c>3/2</c>, <c>0/2</c>), is a FormatException saying why.</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var index) || !int.TryParse(parts[1], out var count))
            throw new FormatException($"'{text}' is not i/n (e.g. 1/4: the first of four shards)");
        if (count < 1) throw new FormatException($"'{text}': a run has at least one shard");
        if (index < 1 || index > count) throw new FormatException($"'{text}': there is no shard {index} of {count} (i counts from 1 to {count})");
        return new ShardSpec(index, count);
    }

    public override string ToString() => $"{Index}/{Count}";
}

/// <summary>
/// Splits a run's pickles into shards so that every shard, on whatever machine, computes the same split from the same
/// features and durations: each pickle goes to exactly one shard. With durations from an earlier run (the same file on
/// every shard: a CI cache of the merged results), the longest go first, each to the shard with the least work so far
/// (LPT), so shards end at about the same time; a scenario not run before counts as a typical one. Without durations,
/// pickles in order of their (stable) pickle id are dealt round-robin, which balances counts.
/// </summary>
public static class ShardPlan
{
    public sealed record Split(IReadOnlyList<Pickle> Mine, string Digest, bool Balanced, TimeSpan Expected);

    public static Split Select(IReadOnlyList<Pickle> pickles, ShardSpec shard, Func<Pickle, TimeSpan?>? durations)
    {
        var ordered = pickles.OrderBy(p => p.Id, StringComparer.Ordinal).ThenBy(p => p.Location, StringComparer.Ordinal).ToList();
        var known = durations is null ? [] : ordered.Select(durations).OfType<TimeSpan>().Order().ToList();
        var assignment = new Dictionary<Pickle, int>(ReferenceEqualityComparer.Instance);
        var load = new TimeSpan[shard.Count];
        if (known.Count > 0)
        {
            var typical = known[known.Count / 2];
            // Rounded to milliseconds so that the same manifest gives the same plan however it was parsed.
            var cost = ordered.ToDictionary(p => p, p => TimeSpan.FromMilliseconds(Math.Round((durations!(p) ?? typical).TotalMilliseconds)),
                (IEqualityComparer<Pickle>)ReferenceEqualityComparer.Instance);
            foreach (var pickle in ordered.OrderByDescending(p => cost[p]))
            {
                var least = Enumerable.Range(0, shard.Count).MinBy(i => load[i]);
                assignment[pickle] = least;
                load[least] += cost[pickle];
            }
        }
        else
        {
            for (var i = 0; i < ordered.Count; i++) assignment[ordered[i]] = i % shard.Count;
        }
        var mine = pickles.Where(p => assignment[p] == shard.Index - 1).ToList();
        var text = string.Join("\n", ordered.Select(p => $"{p.Id} {assignment[p]}")) + $"\n{shard.Count}";
        var digest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
        return new Split(mine, digest, known.Count > 0, load[shard.Index - 1]);
    }
}
