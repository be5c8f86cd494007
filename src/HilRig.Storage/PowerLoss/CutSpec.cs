using System.Globalization;

namespace HilRig.Storage.PowerLoss;

/// <summary>What a power cut does to writes the disk acknowledged but was never asked to flush.</summary>
public enum CutPolicy
{
    /// <summary>They are lost (the cache never wrote them back). The default and the issue's model.</summary>
    LoseUnflushed,
    /// <summary>Any subset of their sectors may have reached the media (a cache that writes back in any order at any time).</summary>
    ScrambleUnflushed,
}

/// <summary>Where the power goes: during device operation N, or during the first operation after the Nth time a named point is reached.</summary>
public abstract record CutPoint
{
    public static CutPoint Parse(string text)
    {
        if (text.StartsWith('w') && long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var op))
            return new OpCut(op);
        if (text.StartsWith('@'))
        {
            var hash = text.LastIndexOf('#');
            if (hash > 1 && int.TryParse(text.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
                return new NamedCut(text[1..hash], n);
            if (hash < 0 && text.Length > 1) return new NamedCut(text[1..], 1);
        }
        throw new FormatException($"cut point '{text}': expected wN (device operation N, from 0) or @point#N (Nth time the point is reached, from 1)");
    }
}

/// <summary>Power fails while device operation <paramref name="Op"/> (0-based, counting writes, flushes and trims) is in flight.</summary>
public sealed record OpCut(long Op) : CutPoint
{
    public override string ToString() => $"w{Op}";
}

/// <summary>Power fails during the first device operation after the <paramref name="Occurrence"/>th (1-based) arrival at <paramref name="Point"/>.</summary>
public sealed record NamedCut(string Point, int Occurrence) : CutPoint
{
    public override string ToString() => $"@{Point}#{Occurrence}";
}

/// <summary>A complete, replayable description of one cut: where, the seed that tears the in-flight write, and the policy.</summary>
public sealed record CutPlan(CutPoint At, ulong Seed, CutPolicy Policy = CutPolicy.LoseUnflushed)
{
    public override string ToString() =>
        $"{At}/s{Seed}{(Policy == CutPolicy.ScrambleUnflushed ? "/any" : "")}";
}

/// <summary>Thrown by a <see cref="PowerLossDevice"/> when the power goes, and by every operation after that.</summary>
public sealed class PowerCutException(string message, long op) : IOException(message)
{
    public long Op { get; } = op;
}
