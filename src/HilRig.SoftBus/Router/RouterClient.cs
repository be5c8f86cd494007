using System.Net;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Transport;

namespace HilRig.SoftBus.Router;

public enum RouterClientState { Idle, Discovering, Connecting, Connected }

/// <summary>
/// An AllJoyn thin-core client finding and keeping a routing node (seed 004; ajtcl aj_disco.c, aj_connect.c,
/// aj_link_timeout.c):
/// <list type="number">
/// <item><b>discover</b>: NGNS queries (<see cref="NameServiceQuery"/>) in bursts of 3 × 100 ms, 1.1 s apart nine
/// times, then 10, 20, 40 s apart, the search id +1 per burst; answers from blacklisted, too old or foreign-prefix
/// routers are ignored with a logged reason, as is every packet that does not parse;</item>
/// <item><b>select</b>: after the 5 s window (or, if nobody answered in it, at the first answer), rank by protocol
/// version, then priority, ties by the seeded generator (<see cref="RouterSelector"/>);</item>
/// <item><b>connect</b>: TCP, then <see cref="SaslAnonymous"/>; a router that rejects us or is too old goes on the
/// 16-entry <see cref="RouterBlacklist"/> and the next candidate is tried; when none is left, pause and rediscover;</item>
/// <item><b>keep</b>: with a link timeout set, <see cref="LinkMonitor"/> probes an idle link; a dead or closed link
/// disconnects and discovery starts again.</item>
/// </list>
/// </summary>
public sealed class RouterClient : IAsyncDisposable
{
    private readonly IDatagramTransport _transport;
    private readonly RouterClientOptions _options;
    private readonly RouterSelector _selector;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<RouterCandidate> _heard = new();
    private TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _listening;
    private ushort _searchId;
    private uint _serial = 1;
    private Task? _receiveLoop;
    private Task? _run;
    private int _disposed;

    public RouterClient(IDatagramTransport transport, RouterClientOptions options)
    {
        if (options.Guid.Length != 32 || !options.Guid.All(Uri.IsHexDigit)) throw new ArgumentException($"router client GUID '{options.Guid}' is not 32 hex digits");
        _transport = transport;
        _options = options;
        _selector = new RouterSelector(options.Random, options.MinimumProtocolVersion);
        _searchId = (ushort)options.Random.Next(1, 0x8000);
    }

    public RouterBlacklist Blacklist { get; } = new();

    /// <summary>Queries sent, answers taken, packets ignored (by reason).</summary>
    public CoapCounters Counters { get; } = new();

    public RouterClientState State { get; private set; }

    /// <summary>The router we are connected to, if any.</summary>
    public RouterCandidate? Router { get; private set; }

    public event Action<RouterCandidate>? Connected;

    /// <summary>The router and why the link ended ("link timeout", "router closed the connection", …).</summary>
    public event Action<RouterCandidate, string>? Disconnected;

    public event Action<RouterCandidate, string>? Blacklisted;

    private void Log(string line) => _options.Log?.Invoke(line);

    /// <summary>Runs discover → select → connect → keep until disposed.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_run is not null) return;
            _receiveLoop = Task.Run(() => ReceiveLoopAsync(_stop.Token));
            _run = Task.Run(() => RunAsync(_stop.Token));
        }
    }

    private async Task RunAsync(CancellationToken cancellation)
    {
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var ranked = await DiscoverAsync(cancellation);
                var connected = false;
                foreach (var candidate in ranked)
                {
                    if (Blacklist.Contains(candidate.Endpoint)) continue;
                    if (await TryConnectAsync(candidate, cancellation) is not { } link) continue;
                    connected = true;
                    await KeepAsync(candidate, link, cancellation);
                    break;
                }
                if (!connected)
                {
                    Log($"router: no router took us; discovering again in {_options.Timers.RetryPause.TotalSeconds:0.###} s");
                    await Task.Delay(_options.Timers.RetryPause, _options.Time, cancellation);
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            Log($"router: client stopped: {e}");
        }
        finally
        {
            State = RouterClientState.Idle;
        }
    }

    // ---------------------------------------------------------------- discover and select

    private async Task<IReadOnlyList<RouterCandidate>> DiscoverAsync(CancellationToken cancellation)
    {
        State = RouterClientState.Discovering;
        lock (_gate)
        {
            _heard.Clear();
            _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _listening = true;
        }
        using var bursts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var sending = SendBurstsAsync(bursts.Token);
        try
        {
            Log("router: discovering");
            await Task.Delay(_options.Timers.SelectionWindow, _options.Time, cancellation);
            while (true)
            {
                Task answered;
                lock (_gate)
                {
                    var ranked = _selector.Rank(_heard, Blacklist);
                    if (ranked.Count > 0)
                    {
                        _listening = false;
                        Log($"router: selected {ranked[0]} of {ranked.Count}");
                        return ranked;
                    }
                    _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    answered = _answered.Task;
                }
                await answered.WaitAsync(cancellation);
            }
        }
        finally
        {
            lock (_gate) _listening = false;
            await bursts.CancelAsync();
            try
            {
                await sending;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task SendBurstsAsync(CancellationToken cancellation)
    {
        var timers = _options.Timers;
        for (var burst = 1; ; burst++)
        {
            var query = new NameServiceQuery(_searchId, _options.Guid, _options.Prefix, new IPEndPoint(_options.ReplyAddress, _transport.LocalEndPoint.Port)).Encode();
            _searchId = (ushort)(_searchId == ushort.MaxValue ? 1 : _searchId + 1);
            for (var q = 0; q < timers.QueriesPerBurst; q++)
            {
                if (q > 0) await Task.Delay(timers.BurstSpacing, _options.Time, cancellation);
                foreach (var target in _options.QueryTargets) await _transport.SendAsync(query, target, cancellation);
                Counters.Add("query");
            }
            await Task.Delay(timers.GapAfter(burst), _options.Time, cancellation);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            Datagram d;
            try
            {
                d = await _transport.ReceiveAsync(cancellation);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException or ObjectDisposedException)
            {
                return;
            }
            OnDatagram(d.Data.Span, d.Remote);
        }
    }

    /// <summary>One datagram into the name-service path: never throws; an ignored one is counted and logged with its reason.</summary>
    internal void OnDatagram(ReadOnlySpan<byte> data, IPEndPoint from)
    {
        NameServiceAnswer? answer;
        string? why;
        try
        {
            answer = NameServiceAnswer.Parse(data, out why);
        }
        catch (NameServiceFormatException e)
        {
            Ignore("format-error", $"from {from}: {e.Message}");
            return;
        }
        if (answer is null)
        {
            Ignore("not-an-answer", $"from {from}: {why}");
            return;
        }
        if (!answer.Name.StartsWith(_options.Prefix, StringComparison.Ordinal))
        {
            Ignore("other-prefix", $"{answer.Name} from {from} does not match {_options.Prefix}");
            return;
        }
        var candidate = RouterCandidate.From(answer);
        if (_selector.Reject(candidate, Blacklist) is { } reason)
        {
            Ignore(Blacklist.Contains(candidate.Endpoint) ? "blacklisted" : "too-old", reason);
            return;
        }
        lock (_gate)
        {
            if (!_listening) return;
            _heard.Add(candidate);
            _answered.TrySetResult();
        }
        Counters.Add("answer");
    }

    private void Ignore(string counter, string why)
    {
        Counters.Add(counter);
        Log($"router: ignoring a name-service packet: {why}");
    }

    // ---------------------------------------------------------------- connect and keep

    private async Task<Stream?> TryConnectAsync(RouterCandidate candidate, CancellationToken cancellation)
    {
        State = RouterClientState.Connecting;
        Stream? stream = null;
        try
        {
            using (var deadline = new CancellationTokenSource(_options.Timers.ConnectTimeout, _options.Time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellation))
            {
                try
                {
                    stream = await _options.Connect(candidate.Endpoint, linked.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
                {
                    throw new RouterConnectException(RouterConnectFailure.Unreachable, $"TCP connect failed: {e.Message}", e);
                }
            }
            var result = await SaslAnonymous.ConnectAsync(stream, _options.Guid, _options.MinimumProtocolVersion, _options.Timers, _options.Time, cancellation);
            Log($"router: connected to {candidate} as {result.UniqueName} (router ajpv {result.RouterProtocolVersion})");
            return stream;
        }
        catch (RouterConnectException e)
        {
            if (stream is not null) await stream.DisposeAsync();
            Log($"router: {candidate}: {e.Message}");
            if (e.Blacklists)
            {
                Blacklist.Add(candidate.Endpoint);
                Log($"router: blacklisted {candidate.Endpoint} ({Blacklist.Entries.Count}/{Blacklist.Capacity})");
                Blacklisted?.Invoke(candidate, e.Message);
            }
            return null;
        }
        catch (IOException e)
        {
            if (stream is not null) await stream.DisposeAsync();
            Log($"router: {candidate}: connection lost during connect: {e.Message}");
            return null;
        }
    }

    private async Task KeepAsync(RouterCandidate candidate, Stream stream, CancellationToken cancellation)
    {
        Router = candidate;
        State = RouterClientState.Connected;
        Connected?.Invoke(candidate);
        using var linkOver = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var why = "router closed the connection";
        var writeGate = new SemaphoreSlim(1, 1);
        LinkMonitor? monitor = null;
        if (_options.LinkTimeout is { } requested)
        {
            monitor = new LinkMonitor(requested, _options.Timers, _options.Time,
                async () =>
                {
                    await writeGate.WaitAsync(linkOver.Token);
                    try
                    {
                        await stream.WriteAsync(AllJoynMessage.ProbeReq(Interlocked.Increment(ref _serial)).Encode(), linkOver.Token);
                        Log($"router: link idle, ProbeReq sent to {candidate.Endpoint}");
                    }
                    catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                    {
                    }
                    finally
                    {
                        writeGate.Release();
                    }
                },
                () =>
                {
                    why = $"link timeout ({_options.Timers.MaxProbes} probes unanswered)";
                    linkOver.Cancel();
                });
        }
        try
        {
            while (true)
            {
                var m = await AllJoynMessage.ReadAsync(stream, linkOver.Token);
                if (m is null) break;
                monitor?.Received();
                if (m.Is("org.alljoyn.Daemon", "ProbeReq"))
                {
                    await writeGate.WaitAsync(linkOver.Token);
                    try
                    {
                        await stream.WriteAsync(AllJoynMessage.ProbeAck(Interlocked.Increment(ref _serial)).Encode(), linkOver.Token);
                    }
                    finally
                    {
                        writeGate.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or AllJoynFormatException)
        {
            why = e is AllJoynFormatException ? $"router sent garbage: {e.Message}" : $"connection lost: {e.Message}";
        }
        finally
        {
            monitor?.Dispose();
            await stream.DisposeAsync();
            Router = null;
        }
        cancellation.ThrowIfCancellationRequested();
        Log($"router: disconnected from {candidate}: {why}; discovering again");
        Disconnected?.Invoke(candidate, why);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stop.CancelAsync();
        foreach (var t in new[] { _run, _receiveLoop })
        {
            if (t is null) continue;
            try
            {
                await t;
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stop.Dispose();
    }
}
