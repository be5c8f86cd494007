namespace HilRig.Simulators.SoftBus;

/// <summary>How a simulated AllJoyn router treats a thin-core client.</summary>
public enum RouterBehaviour
{
    /// <summary>Answers queries, accepts AUTH ANONYMOUS, informs its version, answers BusHello and every ProbeReq.</summary>
    Good,

    /// <summary>Answers queries, then refuses AUTH ANONYMOUS with <c>REJECTED</c> (the client must blacklist it).</summary>
    RejectsAuth,

    /// <summary>Advertises a good ajpv but informs version 9 on the link (the client must blacklist it as too old).</summary>
    TooOld,

    /// <summary>Completes the connect, then never answers anything (the client's link timeout must fire).</summary>
    SilentAfterConnect,
}
