using System.Net;
using System.Net.Sockets;
using HilRig.Capture.Live;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Sockets that live in a SimNet host's network namespace while the harness stays in its own: a socket belongs to
/// the namespace of the thread that created it, so a short-lived dedicated thread enters the namespace, creates the
/// socket and ends. This is how the harness, like an operator on the cloud's machine, talks to a service in a namespace.
/// </summary>
public static class NamespaceSockets
{
    public static Socket Create(string netns, AddressFamily family, SocketType type, ProtocolType protocol)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespaceThread.Enter(netns);
                socket = new Socket(family, type, protocol);
            }
            catch (Exception e)
            {
                error = e;
            }
        }) { IsBackground = true, Name = $"netns socket {netns}" };
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException($"cannot create a socket in network namespace '{netns}': {error?.Message}", error);
    }

    /// <summary>A TCP socket bound to <paramref name="endpoint"/> inside <paramref name="netns"/> (the harness's own namespace when null), for a listener.</summary>
    public static Socket BoundTcp(string? netns, IPEndPoint endpoint)
    {
        var socket = netns is null ? new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : Create(netns, endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>An <see cref="HttpClient"/> whose connections are made from inside <paramref name="netns"/>.</summary>
    public static HttpClient HttpClient(string netns, TimeSpan timeout) => new(Handler(netns)) { Timeout = timeout };

    /// <summary>A handler whose connections are made from inside <paramref name="netns"/>; its other options (TLS) are the caller's to set.</summary>
    public static SocketsHttpHandler Handler(string netns) =>
        new()
        {
            ConnectCallback = async (context, ct) =>
            {
                var addresses = IPAddress.TryParse(context.DnsEndPoint.Host, out var ip) ? [ip] : await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
                var target = new IPEndPoint(addresses[0], context.DnsEndPoint.Port);
                var socket = Create(netns, target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(target, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
}
