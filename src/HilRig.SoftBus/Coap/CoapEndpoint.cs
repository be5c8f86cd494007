using System.Net;
using HilRig.SoftBus.Transport;

namespace HilRig.SoftBus.Coap;

/// <summary>
/// The CoAP message layer (RFC 7252 §4) over one datagram transport, as client and server at once:
/// <list type="bullet">
/// <item>CON retransmission: the first timeout random in [ACK_TIMEOUT, ACK_TIMEOUT × ACK_RANDOM_FACTOR], doubling, at most MAX_RETRANSMIT times, on the endpoint's <see cref="TimeProvider"/>;</item>
/// <item>deduplication by (peer, message id) for EXCHANGE_LIFETIME: a duplicate CON gets the same reply again and is processed once (§4.5);</item>
/// <item>piggybacked responses, or an empty ACK and a separate CON response when the handler is slow (§5.2);</item>
/// <item>rejection: a CON with a format error, an empty CON (a ping) and a CON response nobody asked for get a RST; a NON is silently dropped (§4.2–4.3);</item>
/// <item>an unrecognised critical option in a CON request gets 4.02 Bad Option (§5.4.1);</item>
/// <item>group requests (§8): only NON is accepted, never answered with a RST or an error, and answered after a random delay within DEFAULT_LEISURE.</item>
/// </list>
/// </summary>
public sealed class CoapEndpoint : IAsyncDisposable
{
    private readonly IDatagramTransport _transport;
    private readonly CoapEndpointOptions _options;
    private readonly object _gate = new();
    private readonly Dictionary<(IPEndPoint, ushort), PendingConfirmable> _pendingById = new();
    private readonly Dictionary<TokenKey, PendingRequest> _pendingByToken = new();
    private readonly Dictionary<(IPEndPoint, ushort), DedupEntry> _seen = new();
    private readonly Queue<((IPEndPoint, ushort) Key, long Expires)> _seenOrder = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiveLoop;
    private CoapRequestHandler? _handler;
    private int _nextMessageId;

    public CoapEndpoint(IDatagramTransport transport, CoapEndpointOptions? options = null, CoapRequestHandler? handler = null)
    {
        _transport = transport;
        _options = options ?? new CoapEndpointOptions();
        _handler = handler;
        _nextMessageId = _options.Random.Next(0, 65536);
        _receiveLoop = Task.Run(ReceiveLoopAsync);
    }

    public IPEndPoint LocalEndPoint => _transport.LocalEndPoint;

    public CoapTransmission Transmission => _options.Transmission;

    public TimeProvider Time => _options.Time;

    /// <summary>Messages this endpoint rejected or dropped, by reason (format error, duplicate, unknown response…), for tests and status output.</summary>
    public CoapCounters Counters { get; } = new();

    /// <summary>Who answers requests; without one every request gets 4.04 (CON) or nothing (NON).</summary>
    public CoapRequestHandler? Handler
    {
        get => _handler;
        set => _handler = value;
    }

    public ushort NextMessageId() => (ushort)Interlocked.Increment(ref _nextMessageId);

    public byte[] NewToken(int length = 8)
    {
        var token = new byte[length];
        lock (_options.Random) _options.Random.NextBytes(token);
        return token;
    }

    private void Log(string line) => _options.Log?.Invoke(line);

    // ---------------------------------------------------------------- client side

    /// <summary>
    /// Sends a request and waits for its response. A CON is retransmitted until ACKed (failing with
    /// <see cref="CoapTimeoutException"/> after MAX_RETRANSMIT, <see cref="CoapResetException"/> on a RST); after an
    /// empty ACK the separate response is awaited. A NON waits for a response with the same token until
    /// <paramref name="cancellation"/> or MAX_TRANSMIT_WAIT. The message id and token are set here unless the request has a token.
    /// </summary>
    public async Task<CoapMessage> RequestAsync(CoapMessage request, IPEndPoint remote, CancellationToken cancellation = default)
    {
        if (!request.IsRequest) throw new ArgumentException($"{request.Code} is not a request method");
        request.MessageId = NextMessageId();
        if (request.Token.Length == 0) request.Token = NewToken();
        var key = new TokenKey(request.TokenHex, remote);
        var pending = new PendingRequest();
        lock (_gate) _pendingByToken[key] = pending;
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _stop.Token);
            if (request.Type == CoapType.Confirmable)
            {
                var reply = await SendConfirmableAsync(request, remote, linked.Token);
                if (!reply.IsEmpty) return reply; // piggybacked
            }
            else await SendAsync(request, remote, linked.Token);
            // A separate response (after an empty ACK) or the response to a NON.
            var wait = Task.Delay(Transmission.MaxTransmitWait, _options.Time, linked.Token);
            var first = await Task.WhenAny(pending.Response.Task, wait);
            if (first == pending.Response.Task) return await pending.Response.Task;
            linked.Token.ThrowIfCancellationRequested();
            throw new CoapTimeoutException($"no response to {request} from {remote} within {Transmission.MaxTransmitWait.TotalSeconds:0} s");
        }
        finally
        {
            lock (_gate) _pendingByToken.Remove(key);
        }
    }

    /// <summary>Sends a NON (a discovery probe, a notification) and returns at once.</summary>
    public ValueTask SendNonConfirmableAsync(CoapMessage message, IPEndPoint remote, CancellationToken cancellation = default)
    {
        message.Type = CoapType.NonConfirmable;
        message.MessageId = NextMessageId();
        return SendAsync(message, remote, cancellation);
    }

    /// <summary>
    /// Sends a CON and retransmits it until it is ACKed (returning the ACK, which carries a piggybacked response or is
    /// empty) or rejected with a RST.
    /// </summary>
    public async Task<CoapMessage> SendConfirmableAsync(CoapMessage message, IPEndPoint remote, CancellationToken cancellation = default)
    {
        message.Type = CoapType.Confirmable;
        var bytes = CoapCodec.Encode(message);
        var pending = new PendingConfirmable(this, bytes, remote, message.MessageId, _options.Transmission.InitialTimeout(RandomFraction()), message.ToString());
        var key = (remote, message.MessageId);
        lock (_gate) _pendingById[key] = pending;
        try
        {
            await using var registration = cancellation.Register(() => pending.Completion.TrySetCanceled(cancellation));
            pending.Start();
            return await pending.Completion.Task;
        }
        finally
        {
            pending.Stop();
            lock (_gate) _pendingById.Remove(key);
        }
    }

    /// <summary>A uniform draw in [0, 1) from the endpoint's generator, which many threads share.</summary>
    private double RandomFraction()
    {
        lock (_options.Random) return _options.Random.NextDouble();
    }

    private ValueTask SendAsync(CoapMessage message, IPEndPoint remote, CancellationToken cancellation = default) =>
        _transport.SendAsync(CoapCodec.Encode(message), remote, cancellation);

    private ValueTask SendRawAsync(byte[] bytes, IPEndPoint remote) => _transport.SendAsync(bytes, remote, _stop.Token);

    // ---------------------------------------------------------------- receiving

    private async Task ReceiveLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Datagram datagram;
            try
            {
                datagram = await _transport.ReceiveAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            try
            {
                OnDatagram(datagram);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A bug handling one datagram must not stop the endpoint; say so loudly.
                Counters.Add("internal-error");
                Log($"coap: error handling a datagram from {datagram.Remote}: {e}");
            }
        }
    }

    /// <summary>Processes one datagram as the receive loop does (exposed for fuzzing with exact replies).</summary>
    internal void OnDatagram(Datagram datagram)
    {
        var span = datagram.Data.Span;
        CoapMessage message;
        try
        {
            message = CoapCodec.Decode(span);
        }
        catch (CoapFormatException e)
        {
            Counters.Add("format-error");
            // §4.2: a CON with a format error is rejected with a RST of its id; §4.3: anything else is silently ignored.
            if (!datagram.ToGroup && CoapCodec.TryReadHeader(span, out var type, out var mid) && type == CoapType.Confirmable)
            {
                Log($"coap: rejecting CON mid={mid} from {datagram.Remote}: {e.Reason} (byte {e.Offset})");
                Fire(SendAsync(new CoapMessage { Type = CoapType.Reset, MessageId = mid }, datagram.Remote));
            }
            else Log($"coap: dropping a datagram from {datagram.Remote}: {e.Reason} (byte {e.Offset})");
            return;
        }
        var remote = datagram.Remote;
        switch (message.Type)
        {
            case CoapType.Acknowledgement:
            case CoapType.Reset:
                OnAckOrReset(message, remote);
                return;
        }
        if (message.IsEmpty)
        {
            if (message.Type == CoapType.Confirmable && !datagram.ToGroup)
            {
                // §4.3: an empty CON is a "ping"; the answer is a RST.
                Counters.Add("ping");
                Fire(SendAsync(message.EmptyReply(CoapType.Reset), remote));
            }
            return;
        }
        if (IsDuplicate(message, remote)) return;
        if (message.IsRequest) OnRequest(message, remote, datagram.ToGroup);
        else if (message.IsResponse) OnResponse(message, remote);
        else
        {
            Counters.Add("bad-code");
            Reject(message, remote, datagram.ToGroup, $"code {message.Code} is neither a request nor a response");
        }
    }

    private void Reject(CoapMessage message, IPEndPoint remote, bool toGroup, string why)
    {
        Log($"coap: rejecting {message} from {remote}: {why}");
        if (message.Type == CoapType.Confirmable && !toGroup) Reply(message, remote, message.EmptyReply(CoapType.Reset));
    }

    private void OnAckOrReset(CoapMessage message, IPEndPoint remote)
    {
        PendingConfirmable? pending;
        lock (_gate) _pendingById.TryGetValue((remote, message.MessageId), out pending);
        if (pending is null)
        {
            Counters.Add("unmatched-ack");
            return;
        }
        if (message.Type == CoapType.Reset) pending.Completion.TrySetException(new CoapResetException($"{remote} reset {pending.Description}"));
        else pending.Completion.TrySetResult(message);
    }

    /// <summary>
    /// §4.5: a message id seen from this peer within EXCHANGE_LIFETIME. A duplicate CON gets the reply already sent
    /// (once there is one); a duplicate NON is dropped.
    /// </summary>
    private bool IsDuplicate(CoapMessage message, IPEndPoint remote)
    {
        var key = (remote, message.MessageId);
        var now = _options.Time.GetTimestamp();
        DedupEntry? entry;
        lock (_gate)
        {
            while (_seenOrder.TryPeek(out var oldest) && oldest.Expires <= now)
            {
                _seenOrder.Dequeue();
                if (_seen.TryGetValue(oldest.Key, out var e) && e.Expires == oldest.Expires) _seen.Remove(oldest.Key);
            }
            if (!_seen.TryGetValue(key, out entry))
            {
                var lifetime = message.Type == CoapType.Confirmable ? _options.Transmission.ExchangeLifetime : _options.Transmission.NonLifetime;
                var expires = now + (long)(lifetime.TotalSeconds * _options.Time.TimestampFrequency);
                _seen[key] = new DedupEntry(expires);
                _seenOrder.Enqueue((key, expires));
                return false;
            }
        }
        Counters.Add("duplicate");
        if (message.Type == CoapType.Confirmable && entry.Reply is { } reply) Fire(SendRawAsync(reply, remote));
        return true;
    }

    /// <summary>Sends a reply to a received message and remembers it for the message's duplicates.</summary>
    private void Reply(CoapMessage to, IPEndPoint remote, CoapMessage reply)
    {
        var bytes = CoapCodec.Encode(reply);
        lock (_gate)
            if (_seen.TryGetValue((remote, to.MessageId), out var entry)) entry.Reply = bytes;
        Fire(SendRawAsync(bytes, remote));
    }

    private void OnResponse(CoapMessage message, IPEndPoint remote)
    {
        PendingRequest? pending;
        lock (_gate)
        {
            if (!_pendingByToken.TryGetValue(new TokenKey(message.TokenHex, remote), out pending))
                _pendingByToken.TryGetValue(new TokenKey(message.TokenHex, null), out pending);
        }
        if (pending is null)
        {
            Counters.Add("unknown-response");
            // §5.3.2: a CON response with an unknown token is rejected with a RST; a NON one is ignored.
            Reject(message, remote, false, "a response to no request of ours");
            return;
        }
        if (message.Type == CoapType.Confirmable) Reply(message, remote, message.EmptyReply(CoapType.Acknowledgement));
        pending.Response.TrySetResult(message);
    }

    private void OnRequest(CoapMessage request, IPEndPoint remote, bool toGroup)
    {
        if (toGroup && request.Type == CoapType.Confirmable)
        {
            // §8.1: group requests are NON; a CON to a group is not answered at all (and never with a RST).
            Counters.Add("group-con");
            Log($"coap: ignoring CON {request} to a group address from {remote}");
            return;
        }
        foreach (var option in request.Options)
        {
            if (CoapOptionNumber.IsKnown(option.Number) || !CoapOptionNumber.IsCritical(option.Number)) continue;
            Counters.Add("bad-option");
            if (request.Type == CoapType.Confirmable)
            {
                Log($"coap: 4.02 for {request} from {remote}: unrecognised critical option {option.Number}");
                Reply(request, remote, new CoapMessage
                {
                    Type = CoapType.Acknowledgement, Code = CoapCode.BadOption, MessageId = request.MessageId, Token = request.Token,
                    Payload = System.Text.Encoding.UTF8.GetBytes($"unrecognised critical option {option.Number}"),
                });
            }
            else Log($"coap: dropping NON {request} from {remote}: unrecognised critical option {option.Number}");
            return;
        }
        var handler = _handler;
        ValueTask<CoapMessage?> work;
        try
        {
            work = handler is null ? ValueTask.FromResult<CoapMessage?>(new CoapMessage { Code = CoapCode.NotFound }) : handler(new CoapRequestContext(request, remote, toGroup), _stop.Token);
        }
        catch (Exception e)
        {
            work = ValueTask.FromException<CoapMessage?>(e);
        }
        if (work.IsCompletedSuccessfully && !toGroup)
        {
            Respond(request, remote, work.Result, piggyback: request.Type == CoapType.Confirmable);
            return;
        }
        _ = RespondLaterAsync(request, remote, toGroup, work);
    }

    private async Task RespondLaterAsync(CoapMessage request, IPEndPoint remote, bool toGroup, ValueTask<CoapMessage?> work)
    {
        var task = work.AsTask();
        var piggyback = request.Type == CoapType.Confirmable;
        if (piggyback)
        {
            var first = await Task.WhenAny(task, Task.Delay(_options.SeparateResponseAfter, _options.Time, _stop.Token)).ConfigureAwait(false);
            if (first != task)
            {
                // §5.2.2: too slow to piggyback; ACK now so the client stops retransmitting, answer in a separate CON.
                Reply(request, remote, request.EmptyReply(CoapType.Acknowledgement));
                piggyback = false;
            }
        }
        CoapMessage? response;
        try
        {
            response = await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            Log($"coap: handler for {request} from {remote} failed: {e.Message}");
            response = new CoapMessage { Code = CoapCode.InternalServerError };
        }
        if (toGroup)
        {
            // §8.2: no error responses to a group request, and the answer waits a random time within the leisure.
            if (response is null || !response.Code.IsSuccess) return;
            var leisure = _options.Transmission.DefaultLeisure * RandomFraction();
            try
            {
                await Task.Delay(leisure, _options.Time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        if (!piggyback && request.Type == CoapType.Confirmable && response is not null)
        {
            // A separate response is a CON of its own, retransmitted until the client ACKs it (§5.2.2).
            response.Type = CoapType.Confirmable;
            response.MessageId = NextMessageId();
            response.Token = request.Token;
            try
            {
                await SendConfirmableAsync(response, remote, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is CoapTimeoutException or CoapResetException or OperationCanceledException)
            {
                Log($"coap: separate response to {request} from {remote} not delivered: {e.Message}");
            }
            return;
        }
        Respond(request, remote, response, piggyback);
    }

    private void Respond(CoapMessage request, IPEndPoint remote, CoapMessage? response, bool piggyback)
    {
        if (response is null)
        {
            if (request.Type == CoapType.Confirmable) Reply(request, remote, request.EmptyReply(CoapType.Acknowledgement));
            return;
        }
        response.Token = request.Token;
        if (piggyback)
        {
            response.Type = CoapType.Acknowledgement;
            response.MessageId = request.MessageId;
        }
        else
        {
            response.Type = CoapType.NonConfirmable;
            response.MessageId = NextMessageId();
        }
        Reply(request, remote, response);
    }

    private void Fire(ValueTask send)
    {
        if (send.IsCompletedSuccessfully) return;
        _ = Observe(send);

        static async Task Observe(ValueTask send)
        {
            try { await send.ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _transport.DisposeAsync();
        try { await _receiveLoop; }
        catch (OperationCanceledException) { }
        List<PendingConfirmable> pending;
        lock (_gate) pending = _pendingById.Values.ToList();
        foreach (var p in pending) p.Completion.TrySetCanceled();
        _stop.Dispose();
    }

    private readonly record struct TokenKey(string Token, IPEndPoint? Remote);

    private sealed class DedupEntry(long expires)
    {
        public long Expires { get; } = expires;

        /// <summary>The encoded reply sent to the message, once there is one.</summary>
        public byte[]? Reply { get; set; }
    }

    private sealed class PendingRequest
    {
        public TaskCompletionSource<CoapMessage> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A CON in flight: retransmitted on its own timer with a doubling timeout until ACKed, reset or given up.</summary>
    private sealed class PendingConfirmable(CoapEndpoint owner, byte[] bytes, IPEndPoint remote, ushort messageId, TimeSpan firstTimeout, string description)
    {
        private ITimer? _timer;
        private TimeSpan _timeout = firstTimeout;
        private int _retransmissions;

        public string Description { get; } = description;

        public TaskCompletionSource<CoapMessage> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Start()
        {
            owner.Fire(owner.SendRawAsync(bytes, remote));
            lock (this) _timer = owner._options.Time.CreateTimer(_ => OnTimeout(), null, _timeout, Timeout.InfiniteTimeSpan);
        }

        private void OnTimeout()
        {
            if (Completion.Task.IsCompleted) return;
            if (_retransmissions >= owner._options.Transmission.MaxRetransmit)
            {
                Completion.TrySetException(new CoapTimeoutException($"{Description} to {remote}: no ACK after {_retransmissions + 1} transmissions"));
                return;
            }
            _retransmissions++;
            _timeout *= 2;
            owner.Counters.Add("retransmission");
            owner.Log($"coap: retransmission {_retransmissions} of CON mid={messageId} to {remote}, next timeout {_timeout.TotalSeconds:0.###} s");
            owner.Fire(owner.SendRawAsync(bytes, remote));
            lock (this) _timer?.Change(_timeout, Timeout.InfiniteTimeSpan);
        }

        public void Stop()
        {
            lock (this)
            {
                _timer?.Dispose();
                _timer = null;
            }
        }
    }
}
