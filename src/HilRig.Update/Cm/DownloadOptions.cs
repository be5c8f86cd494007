namespace HilRig.Update.Cm;

/// <summary>How the CM downloads a component: per URL a few attempts with exponential back-off, each attempt under a timeout; then the next URL.</summary>
public sealed record DownloadOptions
{
    /// <value>3</value>
    public int AttemptsPerUrl { get; init; } = 3;

    /// <value>200 ms, doubling per retry</value>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <value>5 s</value>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <value>60 s: one attempt, headers to last byte</value>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// An attempt that receives nothing for this long (connecting, waiting for headers, or mid-body) is abandoned and
    /// retried; the retry resumes with a Range request. A link that went dark mid-transfer then costs this long, not
    /// the whole <see cref="AttemptTimeout"/> or TCP's own back-off.
    /// </summary>
    /// <value>20 s</value>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
