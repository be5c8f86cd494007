using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HilRig.SoftBus.Router;
using HilRig.SoftBus.Transport;

namespace HilRig.Simulators.SoftBus;

/// <summary>What a simulated router is and how it behaves.</summary>
public sealed record RouterSimulatorOptions
{
    public required string Name { get; init; }

    /// <summary>32 hex digits.</summary>
    public required string Guid { get; init; }

    /// <summary>The SRV priority it advertises (its rank; lower is better).</summary>
    public int Priority { get; init; }

    /// <summary>The ajpv in its answers; null leaves the key out (the client then assumes 10).</summary>
    public int? ProtocolVersion { get; init; } = NameServiceQuery.AllJoynProtocolVersion;

    public RouterBehaviour Behaviour { get; init; } = RouterBehaviour.Good;

    /// <summary>The address:port put in its answers; the TCP listener's own endpoint when null.</summary>
    public IPEndPoint? Advertise { get; init; }

    public Action<string>? Log { get; init; }
}

/// <summary>
/// The router side of AllJoyn thin-core discovery, for tests and scenarios: answers NGNS queries whose prefix its
/// advertised name matches (unicast, to the query's upcv4:ipv4), accepts TCP connections and speaks the SASL
/// ANONYMOUS line protocol and BusHello, and answers ProbeReq with ProbeAck — or misbehaves as its
/// <see cref="RouterBehaviour"/> says. It records what each client did, so a test can assert the wire from the router's side.
/// </summary>
public sealed class RouterSimulator : IAsyncDisposable
{
    private readonly IDatagramTransport _nameService;
    private readonly Socket _listener;
    private readonly RouterSimulatorOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _clients = new();
    private readonly List<Task> _tasks = new();
    private int _connections;
    private int _probes;
    private int _queries;
    private int _disposed;

    /// <param name="nameService">The UDP socket queries arrive on (5353, in the mDNS group).</param>
    /// <param name="listener">A bound, listening TCP socket; the simulator owns it from now on.</param>
    public RouterSimulator(IDatagramTransport nameService, Socket listener, RouterSimulatorOptions options)
    {
        _nameService = nameService;
        _listener = listener;
        _options = options;
        Advertised = options.Advertise ?? (IPEndPoint)listener.LocalEndPoint!;
        _tasks.Add(Task.Run(() => AnswerQueriesAsync(_stop.Token)));
        _tasks.Add(Task.Run(() => AcceptAsync(_stop.Token)));
    }

    /// <summary>A listener on <paramref name="address"/> with an ephemeral port.</summary>
    public static Socket Listen(IPAddress address)
    {
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address, 0));
        s.Listen(16);
        return s;
    }

    public string Name => _options.Name;

    public IPEndPoint Advertised { get; }

    public IPEndPoint Listening => (IPEndPoint)_listener.LocalEndPoint!;

    public int QueriesAnswered => Volatile.Read(ref _queries);

    public int Connections => Volatile.Read(ref _connections);

    public int ProbesReceived => Volatile.Read(ref _probes);

    /// <summary>Every SASL line clients sent, in order (the leading NUL shown as "\0").</summary>
    public ConcurrentQueue<string> Lines { get; } = new();

    private void Log(string line) => _options.Log?.Invoke($"router {_options.Name}: {line}");

    private async Task AnswerQueriesAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Datagram d;
            try
            {
                d = await _nameService.ReceiveAsync(cancellation);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or System.Threading.Channels.ChannelClosedException)
            {
                return;
            }
            NameServiceQuery? q;
            try
            {
                q = NameServiceQuery.Parse(d.Data.Span, out _);
            }
            catch (NameServiceFormatException e)
            {
                Log($"ignoring a query from {d.Remote}: {e.Message}");
                continue;
            }
            if (q is null || !_options.Name.StartsWith(q.Prefix, StringComparison.Ordinal)) continue;
            var answer = new NameServiceAnswer(q.SearchId, _options.Guid, _options.Name, Advertised, _options.Priority, _options.ProtocolVersion);
            Interlocked.Increment(ref _queries);
            await _nameService.SendAsync(answer.Encode(), q.ReplyTo, cancellation);
        }
    }

    private async Task AcceptAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(cancellation);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _clients.Add(client);
            Interlocked.Increment(ref _connections);
            lock (_tasks) _tasks.Add(Task.Run(() => ServeAsync(client, cancellation)));
        }
    }

    private async Task ServeAsync(Socket client, CancellationToken cancellation)
    {
        await using var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            var nul = new byte[1];
            await stream.ReadExactlyAsync(nul, cancellation);
            if (nul[0] != 0) throw new InvalidDataException($"first byte 0x{nul[0]:X2}, not NUL");
            Lines.Enqueue("\\0");
            var auth = await ReadLineAsync(stream, cancellation);
            if (auth != "AUTH ANONYMOUS") throw new InvalidDataException($"expected AUTH ANONYMOUS, got '{auth}'");
            if (_options.Behaviour == RouterBehaviour.RejectsAuth)
            {
                await WriteAsync(stream, "REJECTED\n", cancellation);
                Log("rejected AUTH ANONYMOUS");
                return;
            }
            await WriteAsync(stream, $"OK {_options.Guid}\n", cancellation);
            var inform = await ReadLineAsync(stream, cancellation);
            if (!inform.StartsWith("INFORM_PROTO_VERSION ", StringComparison.Ordinal)) throw new InvalidDataException($"expected INFORM_PROTO_VERSION, got '{inform}'");
            var version = _options.Behaviour == RouterBehaviour.TooOld ? 9 : _options.ProtocolVersion ?? NameServiceQuery.AllJoynProtocolVersion;
            await WriteAsync(stream, $"INFORM_PROTO_VERSION {version}\n", cancellation);
            var begin = await ReadLineAsync(stream, cancellation);
            if (!begin.StartsWith("BEGIN ", StringComparison.Ordinal)) throw new InvalidDataException($"expected BEGIN, got '{begin}'");
            uint serial = 1;
            while (await AllJoynMessage.ReadAsync(stream, cancellation) is { } m)
            {
                if (_options.Behaviour == RouterBehaviour.SilentAfterConnect && !m.Is("org.alljoyn.Bus", "BusHello"))
                {
                    if (m.Is("org.alljoyn.Daemon", "ProbeReq")) Interlocked.Increment(ref _probes);
                    continue;
                }
                if (m.Is("org.alljoyn.Bus", "BusHello"))
                {
                    var reply = new AllJoynMessage(AllJoynMessageType.MethodReturn, serial++)
                    {
                        ReplySerial = m.Serial, Body = [$":{_options.Guid[..8]}.2", _options.Guid, (uint)version],
                    };
                    await stream.WriteAsync(reply.Encode(), cancellation);
                    Log($"connected a client ({begin})");
                }
                else if (m.Is("org.alljoyn.Daemon", "ProbeReq"))
                {
                    Interlocked.Increment(ref _probes);
                    await stream.WriteAsync(AllJoynMessage.ProbeAck(serial++).Encode(), cancellation);
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or AllJoynFormatException or EndOfStreamException)
        {
            Log($"client dropped: {e.Message}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellation)
    {
        var line = await SaslAnonymous.ReadLineAsync(stream, Timeout.InfiniteTimeSpan, TimeProvider.System, "a SASL line", cancellation);
        Lines.Enqueue(line);
        return line;
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken cancellation) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellation);

    /// <summary>Stops answering and drops every client, as a router that goes away.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        _listener.Dispose();
        foreach (var c in _clients) c.Dispose();
        Task[] tasks;
        lock (_tasks) tasks = _tasks.ToArray();
        await Task.WhenAll(tasks.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        _stop.Dispose();
    }
}
