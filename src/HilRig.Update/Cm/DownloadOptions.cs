namespace HilRig.Update.Cm;

/// <summary>
/// How the CM downloads a component: per URL a few attempts with exponential back-off, each abandoned when nothing
/// arrives for <see cref="StallTimeout"/>; then the next URL. An attempt has no time limit as a whole: a large image on
/// a slow link that keeps delivering takes as long as it takes.
/// </summary>
public sealed record DownloadOptions
{
    /// <value>3</value>
    public int AttemptsPerUrl { get; init; } = 3;

    /// <value>200 ms, doubling per retry</value>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <value>5 s</value>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An attempt that receives nothing for this long (connecting, waiting for headers, or mid-body) is abandoned and
    /// retried; the retry resumes with a Range request. A link that went dark mid-transfer then costs this long, not
    /// TCP's own back-off. This is the dead-link detector: a transfer that keeps delivering is never cut off.
    /// </summary>
    /// <value>20 s</value>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
