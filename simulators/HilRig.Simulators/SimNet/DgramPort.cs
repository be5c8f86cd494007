using System.Net;
using System.Net.Sockets;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// A QEMU <c>-netdev dgram</c> peer: one UDP datagram is one Ethernet frame. QEMU is started with
/// <see cref="QemuNetdev"/>: its local address is where SimNet sends, SimNet's local address is its remote.
/// </summary>
public sealed class DgramPort : SwitchPort
{
    private readonly Socket _socket;
    private readonly EndPoint _remote;

    public DgramPort(string host, IPEndPoint local, IPEndPoint remote) : base(host)
    {
        _socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 100 };
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(local);
        Local = (IPEndPoint)_socket.LocalEndPoint!;
        _remote = remote;
        Remote = remote;
    }

    public override string Kind => "dgram";

    public IPEndPoint Local { get; }

    public IPEndPoint Remote { get; }

    /// <summary>The QEMU option that connects a guest NIC to this port.</summary>
    public string QemuNetdev(string id) =>
        $"dgram,id={id},local.type=inet,local.host={Remote.Address},local.port={Remote.Port},remote.type=inet,remote.host={Local.Address},remote.port={Local.Port}";

    internal override int Receive(Span<byte> buffer)
    {
        try
        {
            return _socket.Receive(buffer);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionRefused or SocketError.Interrupted)
        {
            return 0;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
            return -1;
        }
    }

    internal override void Send(ReadOnlySpan<byte> frame)
    {
        try
        {
            _socket.SendTo(frame, SocketFlags.None, _remote);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // QEMU not (yet) listening: the frame is lost, as on an unplugged cable.
        }
    }

    public override void Dispose() => _socket.Dispose();
}
