namespace HilRig.SoftBus.Coap;

/// <summary>
/// The transmission parameters of RFC 7252 §4.8 and the values derived from them (§4.8.2). The defaults are the RFC's.
/// </summary>
public sealed record CoapTransmission
{
    public TimeSpan AckTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public double AckRandomFactor { get; init; } = 1.5;

    public int MaxRetransmit { get; init; } = 4;

    public TimeSpan DefaultLeisure { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest a receiver may be in the middle of one message: 100 s (§4.8.2).</summary>
    public TimeSpan MaxLatency { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>ACK_TIMEOUT × (2^MAX_RETRANSMIT − 1) × ACK_RANDOM_FACTOR: 45 s.</summary>
    public TimeSpan MaxTransmitSpan => AckTimeout * ((1 << MaxRetransmit) - 1) * AckRandomFactor;

    /// <summary>ACK_TIMEOUT × (2^(MAX_RETRANSMIT + 1) − 1) × ACK_RANDOM_FACTOR: 93 s.</summary>
    public TimeSpan MaxTransmitWait => AckTimeout * ((1 << (MaxRetransmit + 1)) - 1) * AckRandomFactor;

    /// <summary>The receiver's processing delay assumed by the RFC: ACK_TIMEOUT.</summary>
    public TimeSpan ProcessingDelay => AckTimeout;

    /// <summary>MAX_TRANSMIT_SPAN + 2 × MAX_LATENCY + PROCESSING_DELAY: 247 s, how long a message id stays in the dedup cache.</summary>
    public TimeSpan ExchangeLifetime => MaxTransmitSpan + 2 * MaxLatency + ProcessingDelay;

    /// <summary>MAX_TRANSMIT_SPAN + MAX_LATENCY: 145 s.</summary>
    public TimeSpan NonLifetime => MaxTransmitSpan + MaxLatency;

    /// <summary>The first retransmission timeout: uniformly random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR] (§4.2).</summary>
    /// <param name="fraction">A uniform draw in [0, 1).</param>
    public TimeSpan InitialTimeout(double fraction) => AckTimeout * (1 + fraction * (AckRandomFactor - 1));
}
