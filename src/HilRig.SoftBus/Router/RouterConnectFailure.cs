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
