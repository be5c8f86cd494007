using System.Collections.Concurrent;
using System.Net;
using HilRig.Simulators.SoftBus;
using HilRig.SoftBus.Router;
using HilRig.SoftBus.Tests.Support;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Router;

/// <summary>
/// The thin-core client against simulated routers: name service over an in-memory network in virtual time, the router
/// links over real loopback TCP. Time stands still while a connect is under way, so the 3.5 s SASL line timeout cannot
/// fire on a slow machine; everything else (window, bursts, link timeout) runs on the virtual clock.
/// </summary>
public class RouterClientTests
{
    private const string ClientGuid = "c0ffee00c0ffee00c0ffee00c0ffee00";
    private ManualTimeProvider _time = null!;
    private MemoryNetwork _net = null!;
    private DateTimeOffset _start;
    private readonly ConcurrentDictionary<IPEndPoint, IPEndPoint> _routes = new();
    private readonly List<IAsyncDisposable> _owned = new();
    private readonly ConcurrentQueue<string> _log = new();
    private RouterClient _client = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _start = _time.GetUtcNow();
        _net = new MemoryNetwork(_time);
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var o in Enumerable.Reverse(_owned)) await o.DisposeAsync();
        _owned.Clear();
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
            foreach (var l in _log) TestContext.Out.WriteLine(l);
    }

    private double Now => (_time.GetUtcNow() - _start).TotalSeconds;

    private RouterSimulator Router(int last, int priority, int? ajpv = 10, RouterBehaviour behaviour = RouterBehaviour.Good)
    {
        var listener = RouterSimulator.Listen(IPAddress.Loopback);
        var advertise = new IPEndPoint(IPAddress.Parse($"10.0.0.{last}"), ((IPEndPoint)listener.LocalEndPoint!).Port);
        _routes[advertise] = (IPEndPoint)listener.LocalEndPoint!;
        var sim = new RouterSimulator(_net.Add($"10.0.0.{last}", 5353), listener, new RouterSimulatorOptions
        {
            Name = $"org.alljoyn.BusNode.r{last}", Guid = $"{last:x2}".PadLeft(32, 'a'), Priority = priority, ProtocolVersion = ajpv,
            Behaviour = behaviour, Advertise = advertise, Log = l => _log.Enqueue($"{Now,8:0.000} {l}"),
        });
        _owned.Add(sim);
        return sim;
    }

    private RouterClient Client(TimeSpan? linkTimeout = null, int seed = 1)
    {
        _client = new RouterClient(_net.Add("10.0.0.9", 40001), new RouterClientOptions
        {
            Guid = ClientGuid, ReplyAddress = IPAddress.Parse("10.0.0.9"), QueryTargets = [new IPEndPoint(MemoryNetwork.Broadcast, 5353)],
            Time = _time, Random = new Random(seed), LinkTimeout = linkTimeout,
            Connect = (ep, ct) => RouterClientOptions.ConnectTcpAsync(_routes[ep], ct),
            Log = l => _log.Enqueue($"{Now,8:0.000} {l}"),
        });
        _owned.Add(_client);
        return _client;
    }

    /// <summary>Moves virtual time in 100 ms steps until <paramref name="condition"/>, standing still while a connect is under way.</summary>
    private async Task RunUntilAsync(Func<bool> condition, double virtualSeconds, string what)
    {
        var realDeadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            if (Now > virtualSeconds) Assert.Fail($"{what}: not within {virtualSeconds} virtual s (now {Now:0.0} s)");
            if (DateTime.UtcNow > realDeadline) Assert.Fail($"{what}: not within 60 real s (virtual {Now:0.0} s, state {_client.State})");
            if (_client.State != RouterClientState.Connecting) _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2);
        }
    }

    private List<(double At, NameServiceQuery Query)> Queries() =>
        _net.Sent.ToList().Where(s => s.From.Port == 40001).Select(s => ((s.At - _start).TotalSeconds, NameServiceQuery.Parse(s.Data, out _)!)).ToList();

    [Test]
    public async Task Queries_GoOutIn3x100msBursts_1100msApart_SearchIdPlusOnePerBurst_ThenBackOff()
    {
        var client = Client();
        client.Start();
        await RunUntilAsync(() => Queries().Count >= 33, 60, "11 bursts");
        var q = Queries();
        Assert.That(q.All(x => x.Query.Prefix == RouterClientOptions.DefaultPrefix && x.Query.ReplyTo.Port == 40001 && x.Query.Guid == ClientGuid));
        for (var burst = 0; burst < 11; burst++)
        {
            var b = q.Skip(burst * 3).Take(3).ToList();
            Assert.That(b.Select(x => x.Query.SearchId).Distinct().Count(), Is.EqualTo(1), $"burst {burst + 1} shares one id");
            Assert.That(b[1].At - b[0].At, Is.EqualTo(0.1).Within(0.1), $"burst {burst + 1} spacing");
            Assert.That(b[2].At - b[1].At, Is.EqualTo(0.1).Within(0.1), $"burst {burst + 1} spacing");
            if (burst > 0) Assert.That(b[0].Query.SearchId, Is.EqualTo((ushort)(q[(burst - 1) * 3].Query.SearchId + 1)), $"burst {burst + 1} id");
        }
        Assert.That(q[3].At - q[2].At, Is.EqualTo(1.1).Within(0.1), "gap after burst 1");
        Assert.That(q[27].At - q[26].At, Is.EqualTo(1.1).Within(0.1), "gap after burst 9");
        Assert.That(q[30].At - q[29].At, Is.EqualTo(10).Within(0.1), "gap after burst 10");
    }

    [Test]
    public async Task SelectsTheLowestPriority_AtEqualVersion_WhenTheWindowCloses()
    {
        var far = Router(2, priority: 7);
        var near = Router(3, priority: 1);
        var mid = Router(4, priority: 4);
        var client = Client();
        RouterCandidate? connected = null;
        double connectedAt = 0;
        client.Connected += c => (connected, connectedAt) = (c, Now);
        client.Start();
        await RunUntilAsync(() => connected is not null, 20, "connected");
        Assert.That(connected!.Endpoint, Is.EqualTo(near.Advertised));
        Assert.That(connectedAt, Is.InRange(5.0, 5.3), "the connect follows the 5 s window");
        Assert.That(far.Connections + mid.Connections, Is.Zero);
        Assert.That(near.Lines, Is.EqualTo(new[] { "\\0", "AUTH ANONYMOUS", "INFORM_PROTO_VERSION 10", $"BEGIN {ClientGuid}" }), "SASL lines on the wire");
    }

    [Test]
    public async Task AHigherVersion_BeatsABetterPriority_AndTooOldAnswersAreIgnored()
    {
        Router(2, priority: 0, ajpv: 10);
        var newer = Router(3, priority: 9, ajpv: 12);
        var old = Router(4, priority: 0, ajpv: 9);
        var client = Client();
        RouterCandidate? connected = null;
        client.Connected += c => connected = c;
        client.Start();
        await RunUntilAsync(() => connected is not null, 20, "connected");
        Assert.That(connected!.Endpoint, Is.EqualTo(newer.Advertised));
        Assert.That(old.Connections, Is.Zero);
        Assert.That(client.Counters["too-old"], Is.GreaterThan(0));
    }

    [TestCase(RouterBehaviour.RejectsAuth, 2)]
    [TestCase(RouterBehaviour.TooOld, 3)] // no BEGIN after an old INFORM_PROTO_VERSION
    public async Task ABadRouter_IsBlacklisted_TheNextIsTaken_AndItsAnswersAreIgnoredLater(RouterBehaviour behaviour, int linesSeen)
    {
        var bad = Router(2, priority: 0, behaviour: behaviour);
        var good = Router(3, priority: 5);
        var client = Client();
        var blacklisted = new ConcurrentQueue<RouterCandidate>();
        client.Blacklisted += (c, _) => blacklisted.Enqueue(c);
        RouterCandidate? connected = null;
        client.Connected += c => connected = c;
        client.Start();
        await RunUntilAsync(() => connected is not null, 20, "connected");
        Assert.That(blacklisted.Select(c => c.Endpoint), Is.EqualTo(new[] { bad.Advertised }));
        Assert.That(connected!.Endpoint, Is.EqualTo(good.Advertised));
        Assert.That(client.Blacklist.Contains(bad.Advertised));
        Assert.That(bad.Lines, Has.Count.EqualTo(linesSeen));
        // The good router goes away: the client rediscovers and must not pick the blacklisted one again.
        var disconnects = 0;
        client.Disconnected += (_, _) => Interlocked.Increment(ref disconnects);
        await good.DisposeAsync();
        await RunUntilAsync(() => disconnects == 1 && client.Counters["blacklisted"] > 0, 40, "disconnected, then the bad router's answers ignored");
        await RunUntilAsync(() => Now > 30, 31, "a while of rediscovery");
        Assert.That(bad.Connections, Is.EqualTo(1), "a blacklisted router is never connected again");
        Assert.That(client.State, Is.Not.EqualTo(RouterClientState.Connected));
    }

    [Test]
    public async Task ASilentRouter_IsProbedAt40_45_50s_DisconnectedAt55s_AndDiscoveryStartsAgain()
    {
        var silent = Router(2, priority: 0, behaviour: RouterBehaviour.SilentAfterConnect);
        var client = Client(linkTimeout: TimeSpan.FromSeconds(40));
        double connectedAt = 0, disconnectedAt = 0;
        string? why = null;
        client.Connected += _ => connectedAt = Now;
        client.Disconnected += (_, w) => (disconnectedAt, why) = (Now, w);
        client.Start();
        await RunUntilAsync(() => why is not null, 80, "link timeout");
        Assert.That(why, Does.Contain("link timeout"));
        Assert.That(disconnectedAt - connectedAt, Is.EqualTo(55).Within(0.5));
        Assert.That(silent.ProbesReceived, Is.EqualTo(3));
        await RunUntilAsync(() => silent.Connections == 2, disconnectedAt + 10, "reconnected after rediscovery");
    }

    [Test]
    public async Task AGoodRouter_AnswersProbes_AndTheLinkStaysUp()
    {
        var good = Router(2, priority: 0);
        var client = Client(linkTimeout: TimeSpan.FromSeconds(40));
        var disconnects = 0;
        client.Disconnected += (_, _) => Interlocked.Increment(ref disconnects);
        client.Start();
        await RunUntilAsync(() => good.ProbesReceived >= 3, 200, "three idle periods probed");
        Assert.That(disconnects, Is.Zero);
        Assert.That(client.State, Is.EqualTo(RouterClientState.Connected));
        Assert.That(good.Connections, Is.EqualTo(1));
    }

    [Test]
    public async Task NobodyAnswersInTheWindow_TheFirstLaterAnswerIsTaken()
    {
        var client = Client();
        RouterCandidate? connected = null;
        client.Connected += c => connected = c;
        client.Start();
        await RunUntilAsync(() => Now >= 8, 9, "past the window");
        var late = Router(5, priority: 3);
        await RunUntilAsync(() => connected is not null, 20, "connected to the late router");
        Assert.That(connected!.Endpoint, Is.EqualTo(late.Advertised));
    }

    [Test]
    public async Task ARouterSendingGarbageAfterTheHandshake_IsDisconnected()
    {
        var sim = Router(2, priority: 0);
        // The connect goes to an impostor: a correct SASL exchange and BusHello reply, then bytes that are no message.
        using var impostor = RouterSimulator.Listen(IPAddress.Loopback);
        _routes[sim.Advertised] = (IPEndPoint)impostor.LocalEndPoint!;
        var serve = Task.Run(async () =>
        {
            using var socket = await impostor.AcceptAsync();
            await using var stream = new System.Net.Sockets.NetworkStream(socket);
            var lines = new List<string>();
            var nul = new byte[1];
            await stream.ReadExactlyAsync(nul);
            lines.Add(await SaslAnonymous.ReadLineAsync(stream, Timeout.InfiniteTimeSpan, TimeProvider.System, "AUTH", default));
            await stream.WriteAsync("OK 0123456789abcdef0123456789abcdef\n"u8.ToArray());
            lines.Add(await SaslAnonymous.ReadLineAsync(stream, Timeout.InfiniteTimeSpan, TimeProvider.System, "INFORM", default));
            await stream.WriteAsync("INFORM_PROTO_VERSION 10\n"u8.ToArray());
            lines.Add(await SaslAnonymous.ReadLineAsync(stream, Timeout.InfiniteTimeSpan, TimeProvider.System, "BEGIN", default));
            var hello = await AllJoynMessage.ReadAsync(stream, default);
            await stream.WriteAsync(new AllJoynMessage(AllJoynMessageType.MethodReturn, 1) { ReplySerial = hello!.Serial, Body = [":x.2"] }.Encode());
            await stream.WriteAsync("GARBAGE GARBAGE GARBAGE!"u8.ToArray());
            var rest = new byte[16];
            while (await stream.ReadAsync(rest) > 0) { } // until the client hangs up
            return lines;
        });
        var client = Client();
        string? why = null;
        client.Disconnected += (_, w) => why = w;
        client.Start();
        await RunUntilAsync(() => why is not null, 20, "disconnected");
        Assert.That(why, Does.Contain("garbage"));
        Assert.That(await serve.WaitAsync(TimeSpan.FromSeconds(10)), Is.EqualTo(new[] { "AUTH ANONYMOUS", "INFORM_PROTO_VERSION 10", $"BEGIN {ClientGuid}" }));
    }
}
