namespace HilRig.SoftBus.Router;

/// <summary>Why connecting to a router failed; the first two put it on the blacklist (ajtcl: ACCESS_ROUTING_NODE, OLD_VERSION).</summary>
public enum RouterConnectFailure
{
    /// <summary>The router rejected AUTH ANONYMOUS (anything but OK).</summary>
    AuthRejected,

    /// <summary>Its INFORM_PROTO_VERSION is below the minimum.</summary>
    TooOld,

    /// <summary>No TCP connection within the connect timeout, or refused.</summary>
    Unreachable,

    /// <summary>A SASL line or the BusHello reply did not come in time, or the router closed the connection.</summary>
    Silent,

    /// <summary>The router said something the protocol does not allow.</summary>
    ProtocolError,
}

/// <summary>A failed connect: what kind, and the words for the log.</summary>
public sealed class RouterConnectException(RouterConnectFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public RouterConnectFailure Failure { get; } = failure;

    /// <summary>ajtcl blacklists a router that refuses the client or is too old; one that is merely silent may be tried again.</summary>
    public bool Blacklists => Failure is RouterConnectFailure.AuthRejected or RouterConnectFailure.TooOld;
}
