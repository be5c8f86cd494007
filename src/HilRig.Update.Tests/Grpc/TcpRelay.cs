using System.Net;
using System.Net.Sockets;

namespace HilRig.Update.Tests.Grpc;

/// <summary>
/// A loopback TCP relay between a UM and its CM that can go silent: <see cref="Freeze"/> stops forwarding in both
/// directions without closing anything, as a peer that lost power or a cut cable looks to the other end (no FIN, no
/// RST). Only keep-alive pings can tell. <see cref="Thaw"/> forwards new connections again.
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(Socket A, Socket B)> _pairs = new();
    private readonly Task _accept;
    private volatile bool _frozen;

    public TcpRelay(Uri target)
    {
        _target = new IPEndPoint(IPAddress.Parse(target.Host), target.Port);
        _listener.Start();
        _accept = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    /// <summary>Stops forwarding on every connection, open or new; nothing is closed.</summary>
    public void Freeze() => _frozen = true;

    /// <summary>Drops the frozen connections (their ends learnt they were dead) and forwards new ones.</summary>
    public void Thaw()
    {
        lock (_pairs)
        {
            foreach (var (a, b) in _pairs) { a.Dispose(); b.Dispose(); }
            _pairs.Clear();
        }
        _frozen = false;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; }
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { await server.ConnectAsync(_target, _stop.Token); }
            catch (Exception) { client.Dispose(); server.Dispose(); continue; }
            lock (_pairs) _pairs.Add((client, server));
            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, _stop.Token);
                if (n == 0) { to.Shutdown(SocketShutdown.Send); return; }
                // Frozen: what arrived is swallowed, as a dead peer would; the sender sees no error.
                while (_frozen) { if (_stop.IsCancellationRequested) return; n = await from.ReceiveAsync(buffer, _stop.Token); if (n == 0) return; }
                await to.SendAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accept; } catch (Exception) { }
        lock (_pairs) foreach (var (a, b) in _pairs) { a.Dispose(); b.Dispose(); }
        _stop.Dispose();
    }
}
