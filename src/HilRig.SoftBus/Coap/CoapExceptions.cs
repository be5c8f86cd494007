namespace HilRig.SoftBus.Coap;

/// <summary>A CON was sent MAX_RETRANSMIT + 1 times without an ACK, or a response never came.</summary>
public sealed class CoapTimeoutException(string message) : TimeoutException(message);

/// <summary>The peer answered with a RST: it rejected the message (§4.2).</summary>
public sealed class CoapResetException(string message) : Exception(message);
