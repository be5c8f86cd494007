namespace HilRig.SoftBus.Coap;

/// <summary>Message types (RFC 7252 §3).</summary>
public enum CoapType : byte
{
    Confirmable = 0,
    NonConfirmable = 1,
    Acknowledgement = 2,
    Reset = 3,
}
