namespace HilRig.SoftBus.Coap;

/// <summary>How a <see cref="CoapEndpoint"/> behaves: its clock and randomness (so tests run in virtual time and repeat), RFC 7252's parameters, and where it logs.</summary>
public sealed record CoapEndpointOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Message ids, tokens, retransmission timeouts and leisure delays are drawn from it.</summary>
    public Random Random { get; init; } = new();

    public CoapTransmission Transmission { get; init; } = new();

    /// <summary>
    /// How long a CON request may take before the server stops waiting to piggyback and sends an empty ACK, answering
    /// later in a separate CON (§5.2.2). Below ACK_TIMEOUT so the client does not retransmit first.
    /// </summary>
    public TimeSpan SeparateResponseAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Why a datagram was dropped or rejected, what was retransmitted: one line each.</summary>
    public Action<string>? Log { get; init; }
}
