using System.Net;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Transport;

namespace HilRig.SoftBus.Discovery;

/// <summary>Who we are on the network, as discovery messages say it.</summary>
public sealed record LocalDevice(string Udid, string Name, IPAddress Ip)
{
    /// <summary>softbus_lite's L1 device type.</summary>
    public int DeviceType { get; init; } = 0xF2;

    /// <summary>The TCP port of the auth channel, advertised as serviceData <c>port:N</c>.</summary>
    public int AuthPort { get; init; }

    /// <summary>The subnet broadcast the active discoverer probes.</summary>
    public IPAddress Broadcast { get; init; } = IPAddress.Broadcast;
}

/// <summary>A device that answered a probe, with what its reply said.</summary>
public sealed record FoundDevice(string Udid, string Name, int DeviceType, IPAddress Ip, int? AuthPort, string? ServiceData, IReadOnlyList<int> Capabilities)
{
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
}

/// <summary>
/// Soft-bus discovery over CoAP on UDP 5684, both roles:
/// <list type="bullet">
/// <item><b>publish / passive responder</b> (softbus_lite): <see cref="Publish"/> up to 3 services; a valid probe is
/// answered by exactly one NON POST to its <c>wlanIp</c>:5684 — TKL 0, Uri-Host = that address, Uri-Path
/// <c>device_discover</c>, a message id counting from 1 — sent from a fresh socket. A probe without coapUri,
/// deviceId or devicename, or with a type over 255, gets nothing; every ignored message is logged with its reason.</item>
/// <item><b>active discoverer</b> (dsoftbus): 12 NON POSTs of a probe to the subnet broadcast at 0, 100, 300, 500,
/// 1000 … 4500 ms; replies are reported as found devices with their service data and capabilities.</item>
/// <item><b>offline detection</b>: while discovering, each found device is probed directly every
/// <see cref="DiscoveryOptions.KeepAlive"/>; one silent for <see cref="DiscoveryOptions.OfflineAfter"/> is reported lost.</item>
/// </list>
/// </summary>
public sealed class DiscoveryService : IAsyncDisposable
{
    public const string Path = "device_discover";
    public const int Port = 5684;

    /// <summary>dsoftbus's default schedule: milliseconds from the first probe.</summary>
    public static readonly IReadOnlyList<int> Schedule = [0, 100, 300, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500];

    private readonly CoapEndpoint _endpoint;
    private readonly LocalDevice _local;
    private readonly DiscoveryOptions _options;
    private readonly object _gate = new();
    private readonly List<PublishInfo> _published = new();
    private readonly Dictionary<string, FoundDevice> _found = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource? _discovery;
    private Task? _discoveryTask;
    private int _replyMessageId;
    private int _subscribedBit = -1;
    private long _windowStart;
    private int _windowCount;

    public DiscoveryService(CoapEndpoint endpoint, CoapServer server, LocalDevice local, DiscoveryOptions? options = null)
    {
        _endpoint = endpoint;
        _local = local;
        _options = options ?? new DiscoveryOptions();
        server.Add(new CoapResource("/" + Path, OnDiscoverAsync) { Attributes = [new("rt", "softbus.discover")] });
    }

    public LocalDevice Local => _local;

    public event Action<FoundDevice>? DeviceFound;

    public event Action<FoundDevice>? DeviceLost;

    /// <summary>Probes answered, replies sent, messages ignored (with why), for status output and tests.</summary>
    public CoapCounters Counters { get; } = new();

    public IReadOnlyList<FoundDevice> Found
    {
        get { lock (_gate) return _found.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList(); }
    }

    public IReadOnlyList<PublishInfo> Published
    {
        get { lock (_gate) return _published.ToList(); }
    }

    public bool IsDiscovering => _discovery is not null;

    /// <summary>Forgets every found device (a fresh discovery reports them again).</summary>
    public void Forget()
    {
        lock (_gate) _found.Clear();
    }

    private void Log(string line) => _options.Log?.Invoke(line);

    /// <summary>PublishService: null on success, else why not (a medium other than CoAP, a bad capability, more than 3 services).</summary>
    public PublishFailReason? Publish(PublishInfo info)
    {
        if (info.Medium is not (ExchangeMedium.Coap or ExchangeMedium.Auto)) return PublishFailReason.NotSupportMedium;
        if (Capabilities.BitOf(info.Capability) < 0 || info.Mode != DiscoverMode.Passive) return PublishFailReason.ParameterInvalid;
        lock (_gate)
        {
            if (_published.Any(p => p.PublishId == info.PublishId) || _published.Count >= 3) return PublishFailReason.ParameterInvalid;
            _published.Add(info);
        }
        Log($"discovery: published {info.Capability} (id {info.PublishId})");
        return null;
    }

    public bool Unpublish(int publishId)
    {
        lock (_gate) return _published.RemoveAll(p => p.PublishId == publishId) > 0;
    }

    private uint[] Bitmap()
    {
        lock (_gate) return Capabilities.ToBitmap(_published.Select(p => Capabilities.BitOf(p.Capability)).Distinct());
    }

    private DiscoveryMessage Describe(bool probe) => new()
    {
        Udid = _local.Udid,
        DeviceName = _local.Name,
        DeviceType = _local.DeviceType,
        ServiceData = $"port:{_local.AuthPort}",
        WlanIp = _local.Ip.ToString(),
        CapabilityBitmap = Bitmap(),
        CoapUri = probe ? $"coap://{_local.Ip}/{Path}" : null,
    };

    // ---------------------------------------------------------------- responder

    private ValueTask<CoapMessage?> OnDiscoverAsync(CoapRequestContext context, ReadOnlyMemory<byte> body, CancellationToken cancellation)
    {
        var request = context.Request;
        if (request.Code != CoapCode.Post) return ValueTask.FromResult<CoapMessage?>(null);
        if (!DiscoveryMessage.TryParse(body.Span, out var message, out var reason))
        {
            Counters.Add("ignored");
            Log($"discovery: ignoring a message from {context.Remote}: {reason}");
            return ValueTask.FromResult<CoapMessage?>(null);
        }
        if (message!.Udid == _local.Udid) return ValueTask.FromResult<CoapMessage?>(null); // our own broadcast
        if (!message.IsProbe)
        {
            OnReply(message);
            // dsoftbus answers a CON that carries no coapUri with 2.01.
            return ValueTask.FromResult<CoapMessage?>(request.Type == CoapType.Confirmable ? new CoapMessage { Code = CoapCode.Created } : null);
        }
        if (Published.Count == 0)
        {
            Counters.Add("probe-unpublished");
            return ValueTask.FromResult<CoapMessage?>(null);
        }
        if (!WithinRateLimit())
        {
            Counters.Add("probe-rate-limited");
            Log($"discovery: more than {_options.MaxRepliesPerSecond} probes a second; not answering {message.DeviceName}");
            return ValueTask.FromResult<CoapMessage?>(null);
        }
        Counters.Add("probe-answered");
        _ = ReplyAsync(message);
        return ValueTask.FromResult<CoapMessage?>(null);
    }

    /// <summary>dsoftbus caps discovery messages at 200 a second.</summary>
    private bool WithinRateLimit()
    {
        var now = _options.Time.GetTimestamp();
        lock (_gate)
        {
            if (now - _windowStart >= _options.Time.TimestampFrequency)
            {
                _windowStart = now;
                _windowCount = 0;
            }
            return ++_windowCount <= _options.MaxRepliesPerSecond;
        }
    }

    /// <summary>The lite reply: a NON POST with TKL 0 from a fresh socket to the prober's wlanIp (not the UDP source).</summary>
    private async Task ReplyAsync(DiscoveryMessage probe)
    {
        var to = new IPEndPoint(IPAddress.Parse(probe.WlanIp), Port);
        var reply = new CoapMessage { Type = CoapType.NonConfirmable, Code = CoapCode.Post, Payload = Describe(probe: false).ToJson() };
        var mid = Interlocked.Increment(ref _replyMessageId) & 0xFFFF;
        if (mid == 0) mid = Interlocked.Increment(ref _replyMessageId) & 0xFFFF; // the counter skips 0
        reply.MessageId = (ushort)mid;
        reply.Add(CoapOption.String(CoapOptionNumber.UriHost, probe.WlanIp));
        reply.Add(CoapOption.String(CoapOptionNumber.UriPath, Path));
        try
        {
            await using var socket = _options.ReplySocket();
            await socket.SendAsync(CoapCodec.Encode(reply), to, _stop.Token);
            Counters.Add("reply-sent");
            Log($"discovery: answered {probe.DeviceName} ({probe.WlanIp})");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            Log($"discovery: could not answer {probe.DeviceName} at {to}: {e.Message}");
        }
    }

    // ---------------------------------------------------------------- discoverer

    private void OnReply(DiscoveryMessage reply)
    {
        var capabilities = Capabilities.FromBitmap(reply.CapabilityBitmap);
        if (_subscribedBit >= 0 && !capabilities.Contains(_subscribedBit))
        {
            Counters.Add("reply-other-capability");
            return;
        }
        var now = _options.Time.GetUtcNow();
        FoundDevice device;
        bool isNew;
        lock (_gate)
        {
            isNew = !_found.TryGetValue(reply.Udid, out var known);
            device = new FoundDevice(reply.Udid, reply.DeviceName, reply.DeviceType, IPAddress.Parse(reply.WlanIp), reply.AuthPort, reply.ServiceData, capabilities)
            {
                FirstSeen = known?.FirstSeen ?? now,
                LastSeen = now,
            };
            _found[reply.Udid] = device;
        }
        Counters.Add("reply-received");
        if (!isNew) return;
        Log($"discovery: found {device.Name} at {device.Ip} ({device.ServiceData}, capabilities {string.Join(",", capabilities.Select(Capabilities.NameOf))})");
        DeviceFound?.Invoke(device);
    }

    /// <summary>
    /// RefreshLNN: probes the subnet on dsoftbus's schedule, then keeps probing found devices directly to notice one
    /// that goes offline, until <see cref="StopDiscovery"/>. <paramref name="capability"/> narrows what is reported.
    /// </summary>
    public void StartDiscovery(string? capability = null)
    {
        lock (_gate)
        {
            if (_discovery is not null) return;
            _subscribedBit = capability is null ? -1 : Capabilities.BitOf(capability);
            _discovery = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            _discoveryTask = RunDiscoveryAsync(_discovery.Token);
        }
    }

    public async Task StopDiscoveryAsync()
    {
        CancellationTokenSource? cts;
        Task? task;
        lock (_gate)
        {
            (cts, task) = (_discovery, _discoveryTask);
            _discovery = null;
            _discoveryTask = null;
        }
        if (cts is null) return;
        await cts.CancelAsync();
        try { await task!; }
        catch (OperationCanceledException) { }
        cts.Dispose();
    }

    private async Task RunDiscoveryAsync(CancellationToken ct)
    {
        var time = _options.Time;
        var started = time.GetTimestamp();
        var to = new IPEndPoint(_local.Broadcast, Port);
        try
        {
            foreach (var at in Schedule)
            {
                var wait = TimeSpan.FromMilliseconds(at) - time.GetElapsedTime(started);
                if (wait > TimeSpan.Zero) await Task.Delay(wait, time, ct);
                await SendProbeAsync(to, ct);
            }
            while (true)
            {
                await Task.Delay(_options.KeepAlive, time, ct);
                var now = time.GetUtcNow();
                foreach (var device in Found)
                {
                    if (now - device.LastSeen > _options.OfflineAfter)
                    {
                        bool removed;
                        lock (_gate) removed = _found.Remove(device.Udid);
                        if (!removed) continue;
                        Counters.Add("device-lost");
                        Log($"discovery: lost {device.Name} ({device.Ip}): no answer for {(now - device.LastSeen).TotalSeconds:0.#} s");
                        DeviceLost?.Invoke(device);
                    }
                    else await SendProbeAsync(new IPEndPoint(device.Ip, Port), ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendProbeAsync(IPEndPoint to, CancellationToken ct)
    {
        var probe = new CoapMessage { Code = CoapCode.Post, Payload = Describe(probe: true).ToJson() };
        probe.Add(CoapOption.String(CoapOptionNumber.UriPath, Path));
        probe.Token = _endpoint.NewToken(4);
        await _endpoint.SendNonConfirmableAsync(probe, to, ct);
        Counters.Add("probe-sent");
    }

    public async ValueTask DisposeAsync()
    {
        await StopDiscoveryAsync();
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}

/// <summary>Discovery's clock, timings and sockets.</summary>
public sealed record DiscoveryOptions
{
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often a found device is probed directly while discovery runs.</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A found device silent this long is reported lost.</summary>
    public TimeSpan OfflineAfter { get; init; } = TimeSpan.FromSeconds(7);

    public int MaxRepliesPerSecond { get; init; } = 200;

    /// <summary>The fresh socket each reply goes out on (an ephemeral port, as softbus_lite's connected socket).</summary>
    public Func<IDatagramTransport> ReplySocket { get; init; } = () => new UdpTransport(new IPEndPoint(IPAddress.Any, 0));

    public Action<string>? Log { get; init; }
}
