using System.Net;
using System.Net.Sockets;

namespace HilRig.SoftBus.Transport;

/// <summary>
/// A UDP socket as a <see cref="IDatagramTransport"/>. Receives with the packet's destination address (IP_PKTINFO), so
/// the message layer knows a multicast or broadcast request from a unicast one (RFC 7252 §8: never RST those, answer
/// after a leisure delay). Broadcast sending is on: discovery probes go to the subnet broadcast.
/// </summary>
public sealed class UdpTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[65536];
    private readonly EndPoint _any;
    private readonly bool _unicastOnly;

    /// <param name="bind">Where to listen; port 0 for an ephemeral one.</param>
    /// <param name="groups">Multicast groups to join (e.g. 224.0.1.187, "All CoAP Nodes").</param>
    /// <param name="socketFactory">Makes the socket (e.g. inside another network namespace); a plain one by default.</param>
    public UdpTransport(IPEndPoint bind, IEnumerable<IPAddress>? groups = null, Func<AddressFamily, Socket>? socketFactory = null)
    {
        _socket = socketFactory?.Invoke(bind.AddressFamily) ?? new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.EnableBroadcast = true;
            if (bind.AddressFamily == AddressFamily.InterNetwork) _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            else _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
            _socket.Bind(bind);
            foreach (var g in groups ?? [])
            {
                if (g.AddressFamily == AddressFamily.InterNetwork)
                    _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.AddMembership, new MulticastOption(g, bind.Address));
                else _socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.AddMembership, new IPv6MulticastOption(g));
            }
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        _any = bind.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(IPAddress.Any, 0) : new IPEndPoint(IPAddress.IPv6Any, 0);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        // Bound to one unicast address, the socket is never handed a broadcast or multicast datagram (Linux delivers those
        // only to wildcard or group-bound sockets): the cheaper receive without packet information says all there is.
        _unicastOnly = !bind.Address.Equals(IPAddress.Any) && !bind.Address.Equals(IPAddress.IPv6Any) && !IsGroupAddress(bind.Address) && groups is null;
    }

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The interface address multicast is sent from (IP_MULTICAST_IF): a namespace with no default route needs it.</summary>
    public void SetMulticastInterface(IPAddress address) =>
        _socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, address.GetAddressBytes());

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, IPEndPoint remote, CancellationToken cancellation = default)
    {
        try
        {
            await _socket.SendToAsync(data, SocketFlags.None, remote, cancellation);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.NetworkUnreachable or SocketError.HostUnreachable
                                            or SocketError.ConnectionRefused or SocketError.MessageSize or SocketError.AccessDenied)
        {
            // UDP gives no delivery promise: an unreachable peer is a lost datagram, which the message layer already handles.
        }
    }

    public async ValueTask<Datagram> ReceiveAsync(CancellationToken cancellation = default)
    {
        while (true)
        {
            SocketReceiveMessageFromResult r;
            try
            {
                if (_unicastOnly)
                {
                    var u = await _socket.ReceiveFromAsync(_buffer, SocketFlags.None, _any, cancellation);
                    return new Datagram(_buffer.AsMemory(0, u.ReceivedBytes), (IPEndPoint)u.RemoteEndPoint, false);
                }
                r = await _socket.ReceiveMessageFromAsync(_buffer, SocketFlags.None, _any, cancellation);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused or SocketError.MessageSize)
            {
                continue; // an ICMP error for an earlier send, or an oversized datagram: not a datagram to process
            }
            var to = r.PacketInformation.Address;
            return new Datagram(_buffer.AsMemory(0, r.ReceivedBytes), (IPEndPoint)r.RemoteEndPoint, IsGroupAddress(to));
        }
    }

    /// <summary>Multicast, the limited broadcast, or a subnet broadcast (a host part of all ones, as on the /24 rig networks).</summary>
    public static bool IsGroupAddress(IPAddress? address)
    {
        if (address is null) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6) return address.IsIPv6Multicast;
        var b = address.GetAddressBytes();
        return b[0] >= 224 && b[0] <= 239 || b[3] == 255;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
