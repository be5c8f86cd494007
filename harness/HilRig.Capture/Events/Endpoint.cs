using HilRig.Capture.Decoding;

namespace HilRig.Capture.Events;

/// <summary>Where an event came from or went to: an IP address and port when there is one, else a MAC.</summary>
public readonly record struct Endpoint(MacAddress? Mac, IpAddress? Ip, ushort? Port)
{
    public override string ToString() => Ip switch
    {
        { IsV4: true } ip when Port is { } p => $"{ip}:{p}",
        { } ip when Port is { } p => $"[{ip}]:{p}",
        { } ip => ip.ToString(),
        null => Mac?.ToString() ?? "?",
    };
}

/// <summary>The per-frame facts every event of that frame shares.</summary>
public readonly record struct FrameContext(long Frame, long TimestampNanos, int InterfaceId, FrameDirection Direction, Endpoint Source, Endpoint Destination)
{
    public FrameContext WithPorts(ushort sourcePort, ushort destinationPort) =>
        this with { Source = Source with { Port = sourcePort }, Destination = Destination with { Port = destinationPort } };

    public FrameContext Reversed() => this with { Source = Destination, Destination = Source };
}
