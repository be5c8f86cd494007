using System.Collections.Concurrent;
using System.Net;
using System.Text;
using HilRig.Device.Shell;
using HilRig.SoftBus;
using HilRig.SoftBus.Auth;
using HilRig.SoftBus.Sessions;

namespace HilRig.Device.SoftBus;

/// <summary>
/// The board's soft-bus node (seed 003): publishes, answers and runs discovery, binds with a PIN, opens sessions —
/// driven from the console shell (<c>softbus …</c>). Enabled by the role <c>softbus</c> or the setting <c>softbus=on</c>.
/// Settings: <c>softbus.pin</c> (the PIN the board shows), <c>softbus.publish</c> (capabilities, comma-separated, or
/// <c>none</c>; default ddmpCapability), <c>softbus.port</c> (CoAP, default 5684), <c>softbus.name</c> (default the board's).
/// The AllJoyn thin-core router client is <c>softbus router …</c> (<see cref="RouterCommands"/>).
/// Its identity and trusted peers live under the data directory, so they survive reboots and power cuts.
/// </summary>
public sealed class SoftBusService : IDeviceService
{
    private SoftBusNode? _node;
    private DeviceHost? _device;
    private readonly ConcurrentDictionary<int, ConcurrentQueue<string>> _received = new();
    private RouterCommands? _router;

    public string Name => "softbus";

    public bool IsEnabled(BoardConfig config) => config.Roles.Contains("softbus") || config.Setting("softbus", "off") == "on";

    private SoftBusNode Node => _node ?? throw new InvalidOperationException("the soft-bus node is not running");

    public Task StartAsync(DeviceHost device, CancellationToken cancellation)
    {
        _device = device;
        var c = device.Config;
        var publish = c.Setting("softbus.publish", "ddmpCapability");
        _node = SoftBusNode.Start(new SoftBusNodeOptions
        {
            Name = c.Setting("softbus.name", c.Name),
            Pin = c.Settings.TryGetValue("softbus.pin", out var pin) && pin.Length > 0 ? pin : null,
            CoapPort = int.Parse(c.Setting("softbus.port", "5684"), System.Globalization.CultureInfo.InvariantCulture),
            DataDirectory = Path.Combine(c.DataDirectory, "softbus"),
            Publish = publish == "none" ? [] : publish.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            Log = line => device.Log($"softbus: {line}"),
        });
        _node.Sessions.CreateSessionServer("hilrig.chat", Recorder());
        _router = new RouterCommands(() => Node, line => device.Log($"softbus: {line}"));
        device.Log($"softbus: node {_node.Local.Name} ({_node.Identity.Udid[..16]}…) at {_node.Address}, coap {_node.Coap.LocalEndPoint.Port}, " +
                   $"auth {_node.Auth.Port}, sessions {_node.Sessions.Port}, publishing {(publish == "none" ? "nothing" : publish)}");
        return Task.CompletedTask;
    }

    private SessionListener Recorder() => new()
    {
        OnBytesReceived = (s, data) =>
        {
            var q = _received.GetOrAdd(s.Id, _ => new ConcurrentQueue<string>());
            q.Enqueue(Encoding.UTF8.GetString(data.Span));
            while (q.Count > 100) q.TryDequeue(out _);
        },
    };

    public IEnumerable<IShellCommand> Commands => NodeCommands.Concat(_router?.Commands ?? []);

    private IEnumerable<IShellCommand> NodeCommands =>
    [
        Command("softbus status", "the node: identity, ports, published capabilities, found devices, peers, sessions and counters", (ctx, _) =>
        {
            var n = Node;
            ctx.WriteLine($"name: {n.Local.Name}");
            ctx.WriteLine($"udid: {n.Identity.Udid}");
            ctx.WriteLine($"address: {n.Address}");
            ctx.WriteLine($"ports: coap {n.Coap.LocalEndPoint.Port} auth {n.Auth.Port} session {n.Sessions.Port}");
            ctx.WriteLine($"published: {string.Join(",", n.Discovery.Published.Select(p => p.Capability))}");
            ctx.WriteLine($"discovering: {(n.Discovery.IsDiscovering ? "yes" : "no")}");
            ctx.WriteLine($"found: {n.Discovery.Found.Count}");
            ctx.WriteLine($"trusted: {string.Join(",", n.Trust.Peers.Select(p => p.Name))}");
            ctx.WriteLine($"authenticated: {string.Join(",", n.AuthSessions.All.Select(s => s.PeerName))}");
            ctx.WriteLine($"sessions: {n.Sessions.Sessions.Count}");
            ctx.WriteLine($"coap: {n.Coap.Counters}");
            ctx.WriteLine($"discovery: {n.Discovery.Counters}");
            ctx.WriteLine($"auth: {n.Auth.Counters}");
            ctx.WriteLine($"session-counters: {n.Sessions.Counters}");
            return Task.FromResult(0);
        }),
        Command("softbus discover", "softbus discover [start|stop]: probe the subnet (dsoftbus schedule) and keep watching found devices", async (ctx, args) =>
        {
            if (args.FirstOrDefault() == "stop") await Node.Discovery.StopDiscoveryAsync();
            else Node.Discovery.StartDiscovery(args.Count > 1 ? args[1] : null);
            ctx.WriteLine($"discovering: {(Node.Discovery.IsDiscovering ? "yes" : "no")}");
            return 0;
        }),
        Command("softbus devices", "the devices discovery found: name, address, auth port, capabilities, udid", (ctx, _) =>
        {
            foreach (var d in Node.Discovery.Found)
                ctx.WriteLine($"{d.Name} {d.Ip} auth={d.AuthPort} caps={string.Join(",", d.Capabilities.Select(HilRig.SoftBus.Discovery.Capabilities.NameOf))} udid={d.Udid}");
            return Task.FromResult(0);
        }),
        Command("softbus pair", "softbus pair DEVICE PIN: bind with a found device using the PIN it shows", async (ctx, args) =>
        {
            if (args.Count != 2) return ctx.Fail("softbus pair", "usage: softbus pair DEVICE PIN", 2);
            var session = await Node.PairAsync(Node.FindDevice(args[0]), args[1]);
            ctx.WriteLine($"paired with {session.PeerName} (key {session.KeyIndex})");
            return 0;
        }),
        Command("softbus login", "softbus login DEVICE: authenticate to a bound device with the stored keys", async (ctx, args) =>
        {
            if (args.Count != 1) return ctx.Fail("softbus login", "usage: softbus login DEVICE", 2);
            var session = await Node.Auth.LoginAsync(new IPEndPoint(Node.FindDevice(args[0]).Ip, Node.FindDevice(args[0]).AuthPort ?? 0));
            ctx.WriteLine($"logged in to {session.PeerName} (key {session.KeyIndex})");
            return 0;
        }),
        Command("softbus session open", "softbus session open DEVICE [NAME]: open a session to the device's session server (default hilrig.chat)", async (ctx, args) =>
        {
            if (args.Count is < 1 or > 2) return ctx.Fail("softbus session open", "usage: softbus session open DEVICE [SESSION-NAME]", 2);
            var auth = await Node.ConnectAsync(Node.FindDevice(args[0]));
            var session = await Node.Sessions.OpenSessionAsync("hilrig.app", args.Count > 1 ? args[1] : "hilrig.chat", auth, Recorder());
            ctx.WriteLine($"session {session.Id} open to {auth.PeerName}:{session.PeerSessionName}");
            return 0;
        }),
        Command("softbus session send", "softbus session send ID TEXT: SendBytes on an open session", async (ctx, args) =>
        {
            if (args.Count < 2 || !int.TryParse(args[0], out var id)) return ctx.Fail("softbus session send", "usage: softbus session send ID TEXT", 2);
            var session = Node.Sessions.Find(id);
            if (session is null) return ctx.Fail("softbus session send", $"no open session {id}");
            await session.SendBytesAsync(Encoding.UTF8.GetBytes(string.Join(' ', args.Skip(1))));
            ctx.WriteLine($"sent {string.Join(' ', args.Skip(1)).Length} bytes on session {id}");
            return 0;
        }),
        Command("softbus session received", "the messages received on each session (last 100 each)", (ctx, _) =>
        {
            foreach (var (id, q) in _received.OrderBy(r => r.Key))
                foreach (var m in q) ctx.WriteLine($"{id}: {m}");
            return Task.FromResult(0);
        }),
        Command("softbus session list", "open sessions, with bytes sent and received", (ctx, _) =>
        {
            foreach (var s in Node.Sessions.Sessions)
                ctx.WriteLine($"{s.Id} {s.MySessionName}<->{s.PeerSessionName} peer={s.Peer.PeerName} sent={s.BytesSent} received={s.BytesReceived}");
            return Task.FromResult(0);
        }),
        Command("softbus session close", "softbus session close ID", (ctx, args) =>
        {
            if (args.Count != 1 || !int.TryParse(args[0], out var id)) return Task.FromResult(ctx.Fail("softbus session close", "usage: softbus session close ID", 2));
            Node.Sessions.CloseSession(id);
            ctx.WriteLine($"session {id} closed");
            return Task.FromResult(0);
        }),
        Command("softbus coap get", "softbus coap get DEVICE PATH [--port P] [--background]: a CON GET to a found device (default its CoAP port; background: send, return at once)", async (ctx, args) =>
        {
            var positional = new List<string>();
            var port = Node.Coap.LocalEndPoint.Port;
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i] == "--port" && i + 1 < args.Count && int.TryParse(args[i + 1], out var p) && p is > 0 and < 65536) { port = p; i++; }
                else if (args[i] != "--background") positional.Add(args[i]);
            }
            if (positional.Count != 2) return ctx.Fail("softbus coap get", "usage: softbus coap get DEVICE PATH [--port P] [--background]", 2);
            var device = Node.FindDevice(positional[0]);
            var request = Node.Coap.RequestAsync(HilRig.SoftBus.Coap.CoapMessage.Request(HilRig.SoftBus.Coap.CoapCode.Get, positional[1]), new IPEndPoint(device.Ip, port));
            if (args.Contains("--background"))
            {
                _ = request.ContinueWith(t => _device?.Log($"softbus: GET {positional[1]} from {device.Name}: {(t.IsFaulted ? t.Exception!.InnerException!.Message : t.Result.Code.ToString())}"), TaskScheduler.Default);
                ctx.WriteLine($"GET {positional[1]} sent to {device.Name}");
                return 0;
            }
            var response = await request;
            ctx.WriteLine($"{response.Code} {response.PayloadText}");
            return response.Code.IsSuccess ? 0 : 1;
        }),
        Command("softbus fault replay", "softbus fault replay ID: send the session's last frame again, byte for byte (a replay attack from this side)", async (ctx, args) =>
        {
            if (args.Count != 1 || !int.TryParse(args[0], out var id) || Node.Sessions.Find(id) is not { } session)
                return ctx.Fail("softbus fault replay", "usage: softbus fault replay ID (an open session)", 2);
            await session.ReplayLastFrameAsync();
            ctx.WriteLine($"replayed the last frame of session {id}");
            return 0;
        }),
    ];

    /// <summary>A command whose soft-bus failures print as <c>name: reason</c> with exit 1 rather than a stack trace.</summary>
    internal static IShellCommand Command(string name, string summary, Func<ShellContext, IReadOnlyList<string>, Task<int>> run) =>
        new DelegateCommand(name, summary, async (ctx, args) =>
        {
            try
            {
                return await run(ctx, args);
            }
            catch (Exception e) when (e is AuthException or SessionException or InvalidOperationException or IOException or System.Net.Sockets.SocketException
                                          or HilRig.SoftBus.Coap.CoapTimeoutException or HilRig.SoftBus.Coap.CoapResetException)
            {
                return ctx.Fail(name, e.Message);
            }
        });

    public async Task StopAsync()
    {
        if (_router is not null) await _router.DisposeAsync();
        _router = null;
        if (_node is not null) await _node.DisposeAsync();
        _node = null;
    }
}
