namespace HilRig.SoftBus.Router;

/// <summary>An AllJoyn name-service (mDNS) packet that does not parse: what is wrong and at which byte.</summary>
public sealed class NameServiceFormatException(string reason, int offset) : Exception($"name-service format error at byte {offset}: {reason}")
{
    public string Reason { get; } = reason;

    public int Offset { get; } = offset;
}
