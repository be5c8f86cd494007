namespace HilRig.SoftBus.Router;

/// <summary>
/// Every duration of router discovery and the router link, with ajtcl's values as the defaults
/// (<see cref="AllJoyn"/>; sources in shared/reference/softbus-protocols.md §2.2–2.4). Code never edits these
/// defaults: a scenario that cannot wait a real minute for a link timeout uses <see cref="Scaled"/>, the one
/// documented way to shorten them (rig/scenario key <c>softbus.router.time-scale</c>).
/// </summary>
public sealed record RouterTimers
{
    public static readonly RouterTimers AllJoyn = new();

    /// <summary>Between the 3 queries of one burst.</summary>
    public TimeSpan BurstSpacing { get; init; } = TimeSpan.FromMilliseconds(100);

    public int QueriesPerBurst { get; init; } = 3;

    /// <summary>Silence after each of the first <see cref="ShortGapBursts"/> bursts.</summary>
    public TimeSpan ShortGap { get; init; } = TimeSpan.FromMilliseconds(1100);

    public int ShortGapBursts { get; init; } = 9;

    /// <summary>The back-off after the 10th burst, the 11th, and every later one.</summary>
    public IReadOnlyList<TimeSpan> BackOff { get; init; } = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40)];

    /// <summary>Answers are collected this long before the best router is picked (AJ_SELECTION_TIMEOUT).</summary>
    public TimeSpan SelectionWindow { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Each SASL line must come within this (AJ_SASL_TIMEOUT 3.5 s).</summary>
    public TimeSpan LineTimeout { get; init; } = TimeSpan.FromMilliseconds(3500);

    /// <summary>The BusHello reply must come within this.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>SetBusLinkTimeout's floor: a smaller requested value is raised to this.</summary>
    public TimeSpan MinimumLinkTimeout { get; init; } = TimeSpan.FromSeconds(40);

    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(5);

    public int MaxProbes { get; init; } = 3;

    /// <summary>After a failed connect, before discovering again.</summary>
    public TimeSpan RetryPause { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The gap after burst <paramref name="burst"/> (1-based): 1.1 s after bursts 1–9, then 10, 20, 40, 40 … s.</summary>
    public TimeSpan GapAfter(int burst)
    {
        if (burst < 1) throw new ArgumentOutOfRangeException(nameof(burst), burst, "bursts count from 1");
        if (burst <= ShortGapBursts) return ShortGap;
        return BackOff[Math.Min(burst - ShortGapBursts - 1, BackOff.Count - 1)];
    }

    /// <summary>Offsets of the queries of burst <paramref name="burst"/> (1-based) from the start of discovery.</summary>
    public IEnumerable<TimeSpan> QueryTimes(int bursts)
    {
        var start = TimeSpan.Zero;
        for (var b = 1; b <= bursts; b++)
        {
            for (var q = 0; q < QueriesPerBurst; q++) yield return start + q * BurstSpacing;
            start += (QueriesPerBurst - 1) * BurstSpacing + GapAfter(b);
        }
    }

    /// <summary>
    /// Every duration multiplied by <paramref name="factor"/> (0 &lt; factor ≤ 1), counts unchanged: for scenarios on a
    /// real clock only. The protocol's values stay the defaults; a scaled client says so in its log.
    /// </summary>
    public RouterTimers Scaled(double factor)
    {
        if (!(factor > 0 && factor <= 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "softbus.router.time-scale must be in (0, 1]");
        TimeSpan S(TimeSpan t) => t * factor;
        return this with
        {
            BurstSpacing = S(BurstSpacing), ShortGap = S(ShortGap), BackOff = BackOff.Select(S).ToList(), SelectionWindow = S(SelectionWindow),
            ConnectTimeout = S(ConnectTimeout), LineTimeout = S(LineTimeout), HelloTimeout = S(HelloTimeout),
            MinimumLinkTimeout = S(MinimumLinkTimeout), ProbeInterval = S(ProbeInterval), RetryPause = S(RetryPause),
        };
    }
}
