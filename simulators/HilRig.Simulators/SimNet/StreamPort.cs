using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// A QEMU <c>-netdev stream</c> peer on a Unix socket: SimNet listens, QEMU connects (server=off), and each
/// frame travels as a 4-byte big-endian length then the frame. A new connection replaces the old one, so a
/// QEMU board that is power-cut and restarted reconnects to the same port.
/// Frames for the guest wait in a bounded queue that a thread of this port writes out: a guest that stops reading
/// (paused, hung, its NIC's ring full) loses its own frames past the bound, as a full receive ring does, and never
/// blocks the switch's threads or the delay line, which call <see cref="Send"/>.
/// </summary>
public sealed class StreamPort : SwitchPort
{
    /// <summary>Frame bytes that may wait for a guest: a few hundred full frames, far more than a reading guest lets pile up.</summary>
    public const int MaxQueuedBytes = 1 << 20;

    private readonly Socket _listener;
    private readonly byte[] _lengthBuffer = new byte[4];
    private readonly Queue<(byte[] Buffer, int Length)> _outgoing = new();
    private readonly Thread _writer;
    private int _queuedBytes;
    private long _dropped;
    private Socket? _client;
    private volatile bool _disposed;

    public StreamPort(string host, string socketPath) : base(host)
    {
        SocketPath = socketPath;
        if (File.Exists(socketPath)) File.Delete(socketPath);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        _listener.Listen(2);
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = $"simnet {host} out" };
        _writer.Start();
    }

    /// <summary>Frames dropped because the guest did not read them fast enough (the queue was full).</summary>
    public long FramesDropped => Interlocked.Read(ref _dropped);

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
        if (Volatile.Read(ref _client) is null) return;
        lock (_outgoing)
        {
            if (_disposed) return;
            if (_queuedBytes + frame.Length > MaxQueuedBytes)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(4 + frame.Length);
            BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)frame.Length);
            frame.CopyTo(buffer.AsSpan(4));
            _outgoing.Enqueue((buffer, 4 + frame.Length));
            _queuedBytes += frame.Length;
            if (_outgoing.Count == 1) Monitor.Pulse(_outgoing);
        }
    }

    private void WriteLoop()
    {
        while (true)
        {
            (byte[] Buffer, int Length) next;
            lock (_outgoing)
            {
                while (_outgoing.Count == 0 && !_disposed) Monitor.Wait(_outgoing);
                if (_disposed) return;
                next = _outgoing.Dequeue();
                _queuedBytes -= next.Length - 4;
            }
            try
            {
                // Blocking: returns when the whole frame is in the socket, so frames never interleave. Dispose closes the
                // socket under a send that a stuck guest holds up.
                Volatile.Read(ref _client)?.Send(next.Buffer.AsSpan(0, next.Length));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The guest went away mid-frame: its next connection starts a fresh stream.
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(next.Buffer);
            }
        }
    }

    public override void Dispose()
    {
        lock (_outgoing)
        {
            _disposed = true;
            Monitor.PulseAll(_outgoing);
        }
        _listener.Dispose();
        Interlocked.Exchange(ref _client, null)?.Dispose();
        _writer.Join();
        while (_outgoing.TryDequeue(out var left)) ArrayPool<byte>.Shared.Return(left.Buffer);
        try { File.Delete(SocketPath); } catch (IOException) { }
    }
}
