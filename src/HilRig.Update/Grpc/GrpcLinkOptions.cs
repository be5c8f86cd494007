namespace HilRig.Update.Grpc;

/// <summary>
/// The limits and timers of the CM↔UM gRPC link, one set for both ends so they agree. Every value bounds a wait that
/// would otherwise be open-ended: a peer that vanished without a FIN, a stream that never says who it is, a write stuck
/// behind HTTP/2 flow control, a registration that lives forever.
/// </summary>
public sealed record GrpcLinkOptions
{
    /// <summary>4 MiB, gRPC's default receive limit. Commands name images by URL, so no honest message comes near it.</summary>
    public int MaxMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// An HTTP/2 PING goes out after this long without a frame from the peer (both ends; at least 1 s, the floor of
    /// SocketsHttpHandler and Kestrel). A UM stream is idle between updates, and a peer that lost power sends no FIN.
    /// </summary>
    public TimeSpan KeepAlivePingDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A PING unanswered this long closes the connection, and with it every stream on it.</summary>
    public TimeSpan KeepAlivePingTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The deadline of one RegisterUM stream. A stream is a lease: when it runs out the UM opens the next one at once and
    /// reports its state again, so no call is without a deadline and a registration is re-checked (its certificate too)
    /// at least this often.
    /// </summary>
    public TimeSpan StreamLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long the CM waits for a new stream's first UpdateStatus (the one that says which node it is).</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one command (CM) or status (UM) write may take before the stream counts as broken.</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a command waits for a UM that is between two streams (a lease renewal, a reconnect after a blip) before
    /// the UM counts as unavailable.
    /// </summary>
    public TimeSpan ReconnectGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a UM waits before asking again after the CM refused it (its identity, or what it sent).</summary>
    public TimeSpan RefusedRetryDelay { get; init; } = TimeSpan.FromSeconds(30);
}
