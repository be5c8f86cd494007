using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using HilRig.SoftBus.Auth;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Discovery;
using HilRig.SoftBus.Sessions;
using HilRig.SoftBus.Transport;

namespace HilRig.SoftBus;

/// <summary>What one soft-bus node is: its name, where it listens, its PIN, what it publishes, where it keeps its keys.</summary>
public sealed record SoftBusNodeOptions
{
    public required string Name { get; init; }

    /// <summary>The address to listen on; 0.0.0.0 listens everywhere and advertises the first IPv4 interface address.</summary>
    public IPAddress Listen { get; init; } = IPAddress.Any;

    /// <summary>The CoAP (discovery) port: 5684 in softbus, plain CoAP.</summary>
    public int CoapPort { get; init; } = DiscoveryService.Port;

    /// <summary>The PIN it shows for binding; null accepts no binding.</summary>
    public string? Pin { get; init; }

    /// <summary>Where the identity and trusted peers persist; null keeps them in memory (a new identity each start).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Capabilities published at start (softbus names: ddmpCapability, castPlus …); none: the node only discovers.</summary>
    public IReadOnlyList<string> Publish { get; init; } = ["ddmpCapability"];

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Makes every socket the node opens (e.g. inside a network namespace); plain sockets by default.</summary>
    public Func<AddressFamily, SocketType, Socket>? SocketFactory { get; init; }

    /// <summary>The address discovery advertises and its broadcast, when the interfaces of this process are not the node's (a namespace).</summary>
    public (IPAddress Address, IPAddress Broadcast)? Advertise { get; init; }

    public DiscoveryOptions Discovery { get; init; } = new();

    public Action<string>? Log { get; init; }
}

/// <summary>
/// One soft-bus node: a CoAP endpoint on UDP 5684 serving <c>/.well-known/core</c>, <c>/device_discover</c>,
/// <c>/info</c> and <c>/big</c> (large enough to need Block2); discovery (publish and discover); the auth channel
/// (binding, logins) and the session server on ephemeral TCP ports, advertised in serviceData and VerifyIp. What the
/// device agent runs on a board and <c>hilrig softbus node</c> runs on the host.
/// </summary>
public sealed class SoftBusNode : IAsyncDisposable
{
    /// <summary>The session name every node serves: it echoes what it receives.</summary>
    public const string EchoSession = "hilrig.echo";

    private readonly SoftBusNodeOptions _options;

    private SoftBusNode(SoftBusNodeOptions options, DeviceIdentity identity, IPAddress address, IPAddress broadcast)
    {
        _options = options;
        Identity = identity;
        Address = address;
        Trust = new TrustStore(options.DataDirectory);
        AuthSessions = new AuthSessions();
        Func<AddressFamily, Socket>? tcp = options.SocketFactory is { } f ? family => f(family, SocketType.Stream) : null;
        Func<AddressFamily, Socket>? udp = options.SocketFactory is { } g ? family => g(family, SocketType.Dgram) : null;
        Sessions = new SessionService(identity, AuthSessions, tcp, options.Log);
        Auth = new DeviceAuth(identity, Trust, AuthSessions, new AuthOptions
        {
            DeviceName = options.Name, Pin = options.Pin, Time = options.Time, SessionPort = () => Sessions.Port, Log = options.Log, SocketFactory = tcp,
        });
        Server = new CoapServer(options.Time);
        Coap = new CoapEndpoint(new UdpTransport(new IPEndPoint(options.Listen, options.CoapPort), socketFactory: udp),
            new CoapEndpointOptions { Time = options.Time, Log = options.Log }, Server.HandleAsync);
        Broadcast = broadcast;
        Local = new LocalDevice(identity.Udid, options.Name, address) { AuthPort = 0, Broadcast = broadcast };
    }

    public DeviceIdentity Identity { get; }
    public IPAddress Address { get; }
    public IPAddress Broadcast { get; }
    public TrustStore Trust { get; }
    public AuthSessions AuthSessions { get; }
    public DeviceAuth Auth { get; }
    public SessionService Sessions { get; }
    public CoapServer Server { get; }
    public CoapEndpoint Coap { get; }
    public DiscoveryService Discovery { get; private set; } = null!;
    public LocalDevice Local { get; private set; }

    /// <summary>The representation of <c>/big</c>: 4 KiB of text, four blocks of 1024.</summary>
    public static readonly byte[] BigResource = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 64).Select(i => $"hilrig soft-bus block-wise resource, line {i:00} ".PadRight(63, '.') + "\n")));

    public static SoftBusNode Start(SoftBusNodeOptions options)
    {
        var identity = options.DataDirectory is null ? DeviceIdentity.Create() : DeviceIdentity.LoadOrCreate(options.DataDirectory);
        var (address, broadcast) = options.Advertise ?? LocalAddress(options.Listen);
        var node = new SoftBusNode(options, identity, address, broadcast);
        node.StartServices();
        return node;
    }

    private void StartServices()
    {
        var bind = _options.Listen;
        Sessions.Start(new IPEndPoint(bind, 0));
        Auth.Start(new IPEndPoint(bind, 0));
        Local = Local with { AuthPort = Auth.Port };
        var discovery = _options.Discovery with { Time = _options.Time, Log = _options.Discovery.Log ?? _options.Log };
        if (_options.SocketFactory is { } factory)
            discovery = discovery with { ReplySocket = () => new UdpTransport(new IPEndPoint(IPAddress.Any, 0), socketFactory: family => factory(family, SocketType.Dgram)) };
        Discovery = new DiscoveryService(Coap, Server, Local, discovery);
        var id = 1;
        foreach (var capability in _options.Publish)
            if (Discovery.Publish(new PublishInfo(id++, capability)) is { } failure)
                throw new ArgumentException($"cannot publish '{capability}': {failure} (known: {string.Join(", ", Capabilities.Names)})");
        Server.Add(new CoapResource("/info", (_, _, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, Encoding.UTF8.GetBytes(Info().ToJsonString()), 50)))
            { Attributes = [new("rt", "hilrig.info"), new("ct", "50")] });
        Server.Add(new CoapResource("/big", (_, _, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, BigResource, 0)))
            { Attributes = [new("rt", "hilrig.big"), new("ct", "0"), new("sz", BigResource.Length.ToString())] });
        // libcoap's coap-server has /time too: the same request against both is the CoAP benchmark's baseline.
        Server.Add(new CoapResource("/time", (_, _, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, _options.Time.GetUtcNow().ToString("MMM dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))))
            { Attributes = [new("rt", "ticks"), new("title", "Internal Clock"), new("ct", "0")] });
        Sessions.CreateSessionServer(EchoSession, new SessionListener
        {
            OnBytesReceived = (session, data) => _ = session.SendBytesAsync(data.ToArray()),
        });
    }

    public JsonObject Info() => new()
    {
        ["name"] = _options.Name, ["udid"] = Identity.Udid, ["address"] = Address.ToString(), ["coapPort"] = Coap.LocalEndPoint.Port,
        ["authPort"] = Auth.Port, ["sessionPort"] = Sessions.Port,
        ["published"] = new JsonArray(Discovery.Published.Select(p => (JsonNode)p.Capability).ToArray()),
    };

    /// <summary>The address discovery advertises and the broadcast it probes: the listen address, or the first up IPv4 interface.</summary>
    public static (IPAddress Address, IPAddress Broadcast) LocalAddress(IPAddress listen)
    {
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus != OperationalStatus.Down))
        foreach (var ua in nic.GetIPProperties().UnicastAddresses)
        {
            if (ua.Address.AddressFamily != AddressFamily.InterNetwork) continue;
            var matches = listen.Equals(IPAddress.Any) ? !IPAddress.IsLoopback(ua.Address) : ua.Address.Equals(listen);
            if (!matches) continue;
            var mask = ua.IPv4Mask.GetAddressBytes();
            var ip = ua.Address.GetAddressBytes();
            var broadcast = new IPAddress(ip.Zip(mask, (a, m) => (byte)(a | ~m)).ToArray());
            return (ua.Address, broadcast);
        }
        // Loopback or an address on no interface: probes go to the limited broadcast.
        return (listen.Equals(IPAddress.Any) ? IPAddress.Loopback : listen, IPAddress.Broadcast);
    }

    /// <summary>The found device (by name or UDID prefix), for commands that name one.</summary>
    public FoundDevice FindDevice(string nameOrUdid) =>
        Discovery.Found.FirstOrDefault(d => d.Name == nameOrUdid || d.Udid.StartsWith(nameOrUdid, StringComparison.OrdinalIgnoreCase))
        ?? throw new InvalidOperationException($"no device '{nameOrUdid}' found (found: {string.Join(", ", Discovery.Found.Select(d => d.Name))})");

    /// <summary>Binds with a found device using its PIN.</summary>
    public Task<AuthSession> PairAsync(FoundDevice device, string pin, CancellationToken ct = default) =>
        Auth.PairAsync(new IPEndPoint(device.Ip, device.AuthPort ?? throw new InvalidOperationException($"{device.Name} advertised no auth port")), pin, ct);

    /// <summary>The live auth session with a device, logging in (it must be bound) when there is none.</summary>
    public async Task<AuthSession> ConnectAsync(FoundDevice device, CancellationToken ct = default)
    {
        var live = AuthSessions.All.FirstOrDefault(s => s.PeerUdid == device.Udid && !s.Closed.Task.IsCompleted);
        if (live is not null) return live;
        return await Auth.LoginAsync(new IPEndPoint(device.Ip, device.AuthPort ?? throw new InvalidOperationException($"{device.Name} advertised no auth port")), ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (Discovery is not null) await Discovery.DisposeAsync();
        await Coap.DisposeAsync();
        await Sessions.DisposeAsync();
        await Auth.DisposeAsync();
    }
}
