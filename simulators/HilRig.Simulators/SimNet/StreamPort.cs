using System.Buffers.Binary;
using System.Net.Sockets;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// A QEMU <c>-netdev stream</c> peer on a Unix socket: SimNet listens, QEMU connects (server=off), and each
/// frame travels as a 4-byte big-endian length then the frame. A new connection replaces the old one, so a
/// QEMU board that is power-cut and restarted reconnects to the same port.
/// </summary>
public sealed class StreamPort : SwitchPort
{
    private readonly Socket _listener;
    private readonly object _sendLock = new();
    private readonly byte[] _lengthBuffer = new byte[4];
    private Socket? _client;
    private bool _disposed;

    public StreamPort(string host, string socketPath) : base(host)
    {
        SocketPath = socketPath;
        if (File.Exists(socketPath)) File.Delete(socketPath);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(2);
    }

    public override string Kind => "stream";

    public string SocketPath { get; }

    public bool Connected => Volatile.Read(ref _client) is not null;

    public string QemuNetdev(string id) => $"stream,id={id},server=off,addr.type=unix,addr.path={SocketPath}";

    internal override int Receive(Span<byte> buffer)
    {
        if (_disposed) return -1;
        var client = Volatile.Read(ref _client);
        try
        {
            if (client is null || _listener.Poll(0, SelectMode.SelectRead))
            {
                if (!_listener.Poll(100_000, SelectMode.SelectRead)) return 0;
                var accepted = _listener.Accept();
                Interlocked.Exchange(ref _client, accepted)?.Dispose();
                return 0;
            }
            if (!client.Poll(100_000, SelectMode.SelectRead)) return 0;
            if (!ReadExactly(client, _lengthBuffer)) return Disconnected(client);
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(_lengthBuffer);
            if (length > buffer.Length)
            {
                // Cannot be a frame of ours: the stream is out of step, drop the connection.
                return Disconnected(client);
            }
            return ReadExactly(client, buffer[..length]) ? length : Disconnected(client);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return _disposed ? -1 : client is null ? 0 : Disconnected(client);
        }
    }

    private int Disconnected(Socket client)
    {
        if (Interlocked.CompareExchange(ref _client, null, client) == client) client.Dispose();
        return 0;
    }

    private static bool ReadExactly(Socket s, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = s.Receive(buffer);
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    internal override void Send(ReadOnlySpan<byte> frame)
    {
        var client = Volatile.Read(ref _client);
        if (client is null) return;
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)frame.Length);
        lock (_sendLock)
        {
            try
            {
                client.Send(length);
                client.Send(frame);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    public override void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
        Interlocked.Exchange(ref _client, null)?.Dispose();
        try { File.Delete(SocketPath); } catch (IOException) { }
    }
}
