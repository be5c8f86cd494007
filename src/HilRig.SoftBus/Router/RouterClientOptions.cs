using System.Net;
using System.Net.Sockets;

namespace HilRig.SoftBus.Router;

/// <summary>How a thin-core client finds and keeps its router.</summary>
public sealed record RouterClientOptions
{
    /// <summary>ajtcl's default routing-node prefix.</summary>
    public const string DefaultPrefix = "org.alljoyn.BusNode";

    /// <summary>mDNS's group and port (RFC 6762); the thin core also sends each query to the subnet broadcast.</summary>
    public static readonly IPEndPoint MdnsGroup = new(IPAddress.Parse("224.0.0.251"), 5353);

    /// <summary>Our 32-hex-digit GUID, sent in the query names and in BEGIN.</summary>
    public required string Guid { get; init; }

    /// <summary>Where routers send their answers (the query's upcv4); the port comes from the transport.</summary>
    public required IPAddress ReplyAddress { get; init; }

    /// <summary>Where each query goes: the mDNS group, plus the subnet broadcast on a rig network.</summary>
    public IReadOnlyList<IPEndPoint> QueryTargets { get; init; } = [MdnsGroup];

    public string Prefix { get; init; } = DefaultPrefix;

    public int MinimumProtocolVersion { get; init; } = NameServiceQuery.AllJoynProtocolVersion;

    /// <summary>SetBusLinkTimeout: null leaves it off (ajtcl's default); a value below 40 s is raised to 40 s.</summary>
    public TimeSpan? LinkTimeout { get; init; }

    public RouterTimers Timers { get; init; } = RouterTimers.AllJoyn;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Breaks ties between equally ranked routers; seed it (ScenarioInfo.RandomFor) to replay a run.</summary>
    public Random Random { get; init; } = new();

    /// <summary>Opens the TCP connection to a router (e.g. inside a network namespace); a plain socket by default.</summary>
    public Func<IPEndPoint, CancellationToken, Task<Stream>> Connect { get; init; } = ConnectTcpAsync;

    public Action<string>? Log { get; init; }

    public static async Task<Stream> ConnectTcpAsync(IPEndPoint router, CancellationToken cancellation)
    {
        var socket = new Socket(router.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(router, cancellation);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
