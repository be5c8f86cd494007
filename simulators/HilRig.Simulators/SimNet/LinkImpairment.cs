namespace HilRig.Simulators.SimNet;

/// <summary>
/// What SimNet does to frames on one direction of one link (host A → host B). All probabilities are per
/// frame in [0, 1]; every decision is drawn from that link direction's seeded generator.
/// </summary>
public sealed record LinkImpairment
{
    public static LinkImpairment None { get; } = new();

    /// <summary>Independent loss probability. Ignored when <see cref="BurstLoss"/> is set.</summary>
    public double Loss { get; init; }

    /// <summary>Bursty loss; replaces <see cref="Loss"/>.</summary>
    public GilbertElliott? BurstLoss { get; init; }

    public TimeSpan Delay { get; init; }

    /// <summary>Uniform ± variation of <see cref="Delay"/>. Jitter alone does not reorder: frames keep FIFO order per link unless <see cref="Reorder"/> picks them.</summary>
    public TimeSpan Jitter { get; init; }

    public double Duplicate { get; init; }

    /// <summary>Probability that a frame is held back by <see cref="ReorderGap"/> so the frames after it overtake it.</summary>
    public double Reorder { get; init; }

    /// <value>5 ms.</value>
    public TimeSpan ReorderGap { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Probability that one random bit after the Ethernet header is flipped.</summary>
    public double Corrupt { get; init; }

    /// <summary>Bits per second; 0 is unlimited.</summary>
    public long RateBitsPerSecond { get; init; }

    /// <summary>Longest a frame may wait behind the rate limit before it is dropped (tail drop, like tbf's latency).</summary>
    /// <value>200 ms.</value>
    public TimeSpan QueueLimit { get; init; } = TimeSpan.FromMilliseconds(200);

    public bool IsNone =>
        Loss == 0 && BurstLoss is null && Delay == TimeSpan.Zero && Jitter == TimeSpan.Zero && Duplicate == 0
        && Reorder == 0 && Corrupt == 0 && RateBitsPerSecond == 0;

    /// <summary>Every impossible value, each naming its key (YAML spelling); empty when the profile is valid.</summary>
    public IReadOnlyList<string> Validate() => Problems().Select(p => $"{p.Key}: {p.Message}").ToList();

    /// <summary>Every impossible value as its key (YAML spelling) and what is wrong with it; empty when the profile is valid.</summary>
    public IReadOnlyList<(string Key, string Message)> Problems()
    {
        var errors = new List<(string Key, string Message)>();
        void Probability(string key, double v)
        {
            if (double.IsNaN(v) || v < 0 || v > 1) errors.Add((key, $"{v} is not a probability between 0 and 1 (0%–100%)"));
        }
        void Duration(string key, TimeSpan v)
        {
            if (v < TimeSpan.Zero) errors.Add((key, $"{v.TotalMilliseconds} ms is negative"));
            else if (v > TimeSpan.FromMinutes(10)) errors.Add((key, $"{v.TotalSeconds} s is longer than 10 minutes"));
        }
        Probability("loss", Loss);
        Probability("duplicate", Duplicate);
        Probability("reorder", Reorder);
        Probability("corrupt", Corrupt);
        Duration("delay", Delay);
        Duration("jitter", Jitter);
        Duration("reorder_gap", ReorderGap);
        Duration("queue_limit", QueueLimit);
        if (Jitter > Delay) errors.Add(("jitter", $"{Jitter.TotalMilliseconds} ms exceeds delay {Delay.TotalMilliseconds} ms (a frame cannot arrive before it was sent)"));
        if (RateBitsPerSecond < 0) errors.Add(("rate", $"{RateBitsPerSecond} bit/s is negative"));
        else if (RateBitsPerSecond is > 0 and < 8_000) errors.Add(("rate", $"{RateBitsPerSecond} bit/s is below 8 kbit/s, too slow for one 1500-byte frame per 1.5 s"));
        if (Reorder > 0 && ReorderGap == TimeSpan.Zero) errors.Add(("reorder_gap", "must be above 0 when reorder is set"));
        if (BurstLoss is { } ge)
        {
            Probability("burst_loss.p", ge.P);
            Probability("burst_loss.r", ge.R);
            Probability("burst_loss.loss_in_good", ge.LossInGood);
            Probability("burst_loss.loss_in_bad", ge.LossInBad);
            if (ge.R == 0 && ge.P > 0) errors.Add(("burst_loss.r", "0 means a burst never ends"));
        }
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every error, prefixed with where the profile came from.</summary>
    public LinkImpairment Validated(string where)
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException($"{where}: impossible impairment: {string.Join("; ", errors)}");
        return this;
    }

    public override string ToString()
    {
        if (IsNone) return "none";
        var parts = new List<string>();
        if (BurstLoss is { } ge) parts.Add($"burst loss p={ge.P} r={ge.R} (≈{ge.StationaryLoss:P1})");
        else if (Loss > 0) parts.Add($"loss {Loss:P1}");
        if (Delay > TimeSpan.Zero) parts.Add($"delay {Delay.TotalMilliseconds} ms" + (Jitter > TimeSpan.Zero ? $" ± {Jitter.TotalMilliseconds} ms" : ""));
        if (Duplicate > 0) parts.Add($"duplicate {Duplicate:P1}");
        if (Reorder > 0) parts.Add($"reorder {Reorder:P1} by {ReorderGap.TotalMilliseconds} ms");
        if (Corrupt > 0) parts.Add($"corrupt {Corrupt:P1}");
        if (RateBitsPerSecond > 0) parts.Add($"rate {RateBitsPerSecond / 1e6:0.###} Mbit/s");
        return string.Join(", ", parts);
    }
}
