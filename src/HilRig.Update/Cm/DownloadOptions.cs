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
}
