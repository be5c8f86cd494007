using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using HilRig.Device.Shell;
using HilRig.SoftBus;
using HilRig.SoftBus.Router;
using HilRig.SoftBus.Transport;

namespace HilRig.Device.SoftBus;

/// <summary>
/// The board as an AllJoyn thin-core client (seed 004): <c>softbus router start</c> finds a routing node by NGNS
/// (queries to 224.0.0.251:5353 and the subnet broadcast), connects with SASL ANONYMOUS and keeps the link;
/// <c>softbus router status</c> and <c>softbus router events</c> show what happened. <c>--time-scale F</c> (0 &lt; F ≤ 1)
/// is the documented way for a scenario to shorten every router timer (<see cref="RouterTimers.Scaled"/>); the
/// protocol's own values are the default.
/// </summary>
internal sealed class RouterCommands(Func<SoftBusNode> node, Action<string> log) : IAsyncDisposable
{
    private const string Usage = "usage: softbus router start [--link-timeout SECONDS] [--time-scale F] [--seed N] [--min-version N]";
    private RouterClient? _client;
    private UdpTransport? _transport;
    private readonly ConcurrentQueue<string> _events = new();
    private long _started;

    private void Event(string line)
    {
        _events.Enqueue($"{(Environment.TickCount64 - _started) / 1000.0:0.000} {line}");
        while (_events.Count > 200) _events.TryDequeue(out _);
        log($"router: {line}");
    }

    public IEnumerable<IShellCommand> Commands =>
    [
        SoftBusService.Command("softbus router start", Usage[7..], async (ctx, args) =>
        {
            TimeSpan? linkTimeout = null;
            var scale = 1.0;
            var seed = 0;
            var minVersion = NameServiceQuery.AllJoynProtocolVersion;
            for (var i = 0; i < args.Count; i++)
            {
                var value = i + 1 < args.Count ? args[i + 1] : null;
                var ok = args[i] switch
                {
                    "--link-timeout" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 && (linkTimeout = TimeSpan.FromSeconds(s)) is not null,
                    "--time-scale" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out scale) && scale is > 0 and <= 1,
                    "--seed" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed),
                    "--min-version" => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out minVersion),
                    _ => false,
                };
                if (!ok) return ctx.Fail("softbus router start", $"bad argument '{args[i]} {value}'; {Usage}", 2);
                i++;
            }
            if (_client is not null) return ctx.Fail("softbus router start", "already started (softbus router stop first)");
            var n = node();
            _transport = new UdpTransport(new IPEndPoint(n.Address, 0));
            _transport.SetMulticastInterface(n.Address);
            var timers = scale < 1 ? RouterTimers.AllJoyn.Scaled(scale) : RouterTimers.AllJoyn;
            var guid = n.Identity.Udid.Length >= 32 ? n.Identity.Udid[..32].ToLowerInvariant() : n.Identity.Udid.PadRight(32, '0');
            _client = new RouterClient(_transport, new RouterClientOptions
            {
                Guid = guid, ReplyAddress = n.Address, QueryTargets = [RouterClientOptions.MdnsGroup, new IPEndPoint(n.Broadcast, RouterClientOptions.MdnsGroup.Port)],
                MinimumProtocolVersion = minVersion, Timers = timers,
                // The scale applies to every duration, the application's link timeout too (40 s at 0.1 → 4 s, the scaled minimum).
                LinkTimeout = linkTimeout * scale, Random = new Random(seed),
                Log = l => log(l),
            });
            _started = Environment.TickCount64;
            _events.Clear();
            _client.Connected += r => Event($"connected {r}");
            _client.Blacklisted += (r, why) => Event($"blacklisted {r}: {why}");
            _client.Disconnected += (r, why) => Event($"disconnected {r}: {why}");
            _client.Start();
            Event($"started (seed {seed}, time scale {scale.ToString(CultureInfo.InvariantCulture)}, link timeout {(linkTimeout is { } t ? $"{t.TotalSeconds:0.###} s" : "off")})");
            ctx.WriteLine($"router discovery started from {n.Address}:{_transport.LocalEndPoint.Port}");
            return 0;
        }),
        SoftBusService.Command("softbus router stop", "stop router discovery and drop the router link", async (ctx, _) =>
        {
            await DisposeAsync();
            ctx.WriteLine("router discovery stopped");
            return 0;
        }),
        SoftBusService.Command("softbus router status", "state, the router in use, the blacklist and the name-service counters", (ctx, _) =>
        {
            var c = _client;
            ctx.WriteLine($"state: {(c?.State ?? RouterClientState.Idle).ToString().ToLowerInvariant()}");
            ctx.WriteLine($"router: {(c?.Router is { } r ? $"{r.Name} {r.Endpoint} ajpv={r.ProtocolVersion} priority={r.Priority}" : "none")}");
            ctx.WriteLine($"blacklist: {string.Join(",", c?.Blacklist.Entries.Select(e => e.ToString()) ?? [])}");
            ctx.WriteLine($"name-service: {c?.Counters}");
            return Task.FromResult(0);
        }),
        SoftBusService.Command("softbus router events", "what the router client did since start: connected, blacklisted, disconnected (seconds since start)", (ctx, _) =>
        {
            foreach (var e in _events) ctx.WriteLine(e);
            return Task.FromResult(0);
        }),
    ];

    public async ValueTask DisposeAsync()
    {
        var c = _client;
        _client = null;
        if (c is not null) await c.DisposeAsync();
        if (_transport is not null) await _transport.DisposeAsync();
        _transport = null;
    }
}
