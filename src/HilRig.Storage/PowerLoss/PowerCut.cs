namespace HilRig.Storage.PowerLoss;

/// <summary>
/// What survives a power cut. One function, used both by a device that really stops (<see cref="PowerLossDevice"/> with a
/// plan) and by the sweep's forks, so a printed cut id replays the very disk the sweep judged.
/// <list type="bullet">
/// <item>Flushed and FUA-written data is on the media already.</item>
/// <item>Unflushed cached sectors: lost (<see cref="CutPolicy.LoseUnflushed"/>) or each kept by a coin flip (<see cref="CutPolicy.ScrambleUnflushed"/>).</item>
/// <item>The request in flight is torn: none, all, a prefix, or a random subset of its sectors reach the media.
/// A flush in flight tears the set of dirty sectors it was writing the same way; a trim in flight zeroes a torn subset.</item>
/// </list>
/// </summary>
public static class PowerCut
{
    private const ulong TearStream = 0x7465_6172; // "tear"

    public static void Apply(IBlockDevice media, WriteBackCache cache, in InFlightOp op, ulong seed, CutPolicy policy)
    {
        var rng = SeededRng.For(seed, TearStream, (ulong)op.Index);
        var s = media.SectorSize;
        // The surviving sectors are gathered in a cache over the media and written down together, in offset order.
        var patch = new WriteBackCache(media);

        if (policy == CutPolicy.ScrambleUnflushed)
            foreach (var (off, data) in cache.DirtySectors())
                if (rng.NextBool()) patch.Write(off, data.Span);

        switch (op.Kind)
        {
            case OpKind.WriteFua:
            case OpKind.Write when policy == CutPolicy.ScrambleUnflushed:
            {
                var n = (int)(op.Length / s);
                var keep = TearMask(ref rng, n);
                for (var i = 0; i < n; i++)
                    if (keep[i]) patch.Write(op.Offset + (long)i * s, op.Data.Slice(i * s, s));
                break;
            }
            case OpKind.Flush when policy == CutPolicy.LoseUnflushed:
            {
                var sectors = cache.DirtySectors().ToList();
                var keep = TearMask(ref rng, sectors.Count);
                for (var i = 0; i < sectors.Count; i++)
                    if (keep[i]) patch.Write(sectors[i].Offset, sectors[i].Data.Span);
                break;
            }
            case OpKind.Trim:
            {
                var n = (int)(op.Length / s);
                var keep = TearMask(ref rng, n);
                var zero = new byte[s];
                for (var i = 0; i < n; i++)
                    if (keep[i]) patch.Write(op.Offset + (long)i * s, zero);
                break;
            }
        }
        patch.Flush();
    }

    /// <summary>Which of <paramref name="n"/> sectors reach the media: none, all, a prefix of 1..n-1, or a random subset.</summary>
    public static bool[] TearMask(ref SeededRng rng, int n)
    {
        var keep = new bool[n];
        if (n == 0) return keep;
        switch (rng.Next(4))
        {
            case 0: break;
            case 1: Array.Fill(keep, true); break;
            case 2:
                var t = n == 1 ? rng.Next(2) : 1 + rng.Next(n - 1);
                for (var i = 0; i < t; i++) keep[i] = true;
                break;
            default:
                for (var i = 0; i < n; i++) keep[i] = rng.NextBool();
                break;
        }
        return keep;
    }
}
