namespace HilRig.SoftBus.Coap;

/// <summary>A datagram that breaks RFC 7252 §3: what is wrong and at which byte offset.</summary>
public sealed class CoapFormatException(string reason, int offset) : Exception($"CoAP format error at byte {offset}: {reason}")
{
    public string Reason { get; } = reason;

    public int Offset { get; } = offset;
}
