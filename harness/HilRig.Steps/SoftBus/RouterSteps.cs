using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HilRig.Capture.Assertions;
using HilRig.Capture.Decoding.Transport;
using HilRig.Capture.Events;
using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Steps.Boards;
using HilRig.Rig.Protocols;
using HilRig.Simulators.SimNet;
using HilRig.Simulators.SoftBus;
using HilRig.SoftBus.Router;
using HilRig.SoftBus.Transport;
using HilRig.Steps.Network;
using Reqnroll;

namespace HilRig.Steps.SoftBus;

/// <summary>
/// AllJoyn thin-core router discovery (seed 004) on SimNet: simulated routers (<see cref="RouterSimulator"/>, each in its
/// own SimNet namespace, TCP on 9955, name service on 5353) and a board running <c>softbus router …</c>; the claims are
/// read from the capture: NGNS queries and answers (mDNS), TCP connects, SASL lines and link messages (ProbeReq).
/// </summary>
[Binding]
public sealed class RouterSteps(ScenarioCapture capture, ScenarioRun scenario, ScenarioOutput output) : IAsyncDisposable
{
    public const int RouterPort = 9955;
    private static readonly TimeSpan Command = TimeSpan.FromSeconds(60);
    private readonly Dictionary<string, (RouterSimulator Sim, IDatagramTransport NameService)> _routers = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Board, string Router), int> _connectsSeen = new();

    private static string AdvertisedName(string router) => $"{RouterClientOptions.DefaultPrefix}.{router}";

    [Given("soft-bus board {board} is running")]
    [StepSummary("powers the board on (it needs the softbus role) and waits for its shell")]
    public Task Running(Board board, CancellationToken ct) => SoftBusSteps.EnsureRunningAsync(board, ct);

    [Given("AllJoyn routers on the network:")]
    [StepSummary("starts a simulated router per row (router, priority, ajpv or '-' for none, behaviour: good, rejects-auth, too-old, silent-after-connect), each on its own SimNet host")]
    public void Routers(DataTable table)
    {
        foreach (var row in table.ToDictionaries())
        {
            var name = row["router"];
            var behaviour = row["behaviour"] switch
            {
                "good" => RouterBehaviour.Good,
                "rejects-auth" => RouterBehaviour.RejectsAuth,
                "too-old" => RouterBehaviour.TooOld,
                "silent-after-connect" => RouterBehaviour.SilentAfterConnect,
                var b => throw new FormatException($"router {name}: behaviour '{b}' is not good, rejects-auth, too-old or silent-after-connect"),
            };
            int? ajpv = row["ajpv"] == "-" ? null : int.Parse(row["ajpv"], NumberStyles.None, CultureInfo.InvariantCulture);
            var host = capture.Network.AddServiceHost(name, null);
            var nameService = new UdpTransport(new IPEndPoint(IPAddress.Any, 5353), socketFactory: f => NamespaceSockets.Create(host.Namespace, f, SocketType.Dgram, ProtocolType.Udp));
            Socket listener;
            try
            {
                listener = NamespaceSockets.Create(host.Namespace, AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.Bind(new IPEndPoint(IPAddress.Parse(host.Address), RouterPort));
                listener.Listen(16);
            }
            catch
            {
                _ = nameService.DisposeAsync();
                throw;
            }
            var sim = new RouterSimulator(nameService, listener, new RouterSimulatorOptions
            {
                Name = AdvertisedName(name), Guid = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..32].ToLowerInvariant(),
                Priority = int.Parse(row["priority"], NumberStyles.None, CultureInfo.InvariantCulture), ProtocolVersion = ajpv, Behaviour = behaviour,
                Log = l => output.WriteLine(l),
            });
            _routers[name] = (sim, nameService);
            output.WriteLine($"router {name}: {host.Address}:{RouterPort}, priority {row["priority"]}, ajpv {row["ajpv"]}, {row["behaviour"]}");
        }
    }

    private (RouterSimulator Sim, IDatagramTransport NameService) Router(string name) =>
        _routers.TryGetValue(name, out var r) ? r : throw new InvalidOperationException($"no router \"{name}\" in this scenario (Given AllJoyn routers on the network)");

    private async Task<ShellResult> RunAsync(Board board, string command, CancellationToken ct)
    {
        var result = await board.Shell.RunAsync(command, Command, ct);
        output.WriteLine($"{board.Name}$ {command}\n{result.Output}\n(exit {result.ExitCode})");
        if (result.ExitCode != 0) throw new AssertionFailedException($"{command} failed on {board.Name}:\n{result.Output}");
        return result;
    }

    [When("board {board} looks for an AllJoyn router")]
    [StepSummary("starts router discovery on the board (seeded tie-break), ajtcl's timers, no link timeout")]
    public Task Look(Board board, CancellationToken ct) =>
        RunAsync(board, $"softbus router start --seed {scenario.SeedFor($"alljoyn/{board.Name}")}", ct);

    [When("board {board} looks for an AllJoyn router with a {int} s link timeout and router timers scaled by {string}")]
    [StepSummary("as above, with SetBusLinkTimeout and every router timer multiplied by the factor (softbus router start --time-scale; the protocol defaults stay)")]
    public Task LookScaled(Board board, int linkTimeout, string scale, CancellationToken ct) =>
        RunAsync(board, $"softbus router start --seed {scenario.SeedFor($"alljoyn/{board.Name}")} --link-timeout {linkTimeout} --time-scale {scale}", ct);

    [When("router {string} goes away")]
    [StepSummary("stops the simulated router: its connections drop and it answers no more queries")]
    public async Task GoesAway(string router)
    {
        var (sim, ns) = Router(router);
        await sim.DisposeAsync();
        await ns.DisposeAsync();
    }

    private async Task<string> PollEventsAsync(Board board, Func<IReadOnlyList<string>, bool> done, int seconds, CancellationToken ct)
    {
        var (held, events) = await ShellPoll.UntilAsync(board.Shell, "softbus router events", Command, e => done(e.Lines),
            TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(200), ct);
        if (held) return events.Output;
        var status = await board.Shell.RunAsync("softbus router status", Command, ct);
        throw new AssertionFailedException($"not within {seconds} s; {board.Name}'s router events:\n{events.Output}\nstatus:\n{status.Output}");
    }

    private static int Count(IReadOnlyList<string> lines, string what, string router) =>
        lines.Count(l => l.Contains($" {what} {AdvertisedName(router)} at ", StringComparison.Ordinal));

    [Then("board {board} connects to router {string} within {int} second(s)")]
    [StepSummary("`softbus router events` shows a (new) connect to that router: the SASL exchange and BusHello succeeded")]
    public async Task Connects(Board board, string router, int seconds, CancellationToken ct)
    {
        Router(router);
        var seen = _connectsSeen.GetValueOrDefault((board.Name, router));
        await PollEventsAsync(board, lines => Count(lines, "connected", router) > seen, seconds, ct);
        _connectsSeen[(board.Name, router)] = seen + 1;
    }

    [Then("board {board} blacklisted router {string}")]
    [StepSummary("`softbus router events` shows the router blacklisted, and `softbus router status` lists it")]
    public async Task Blacklisted(Board board, string router, CancellationToken ct)
    {
        var (sim, _) = Router(router);
        await PollEventsAsync(board, lines => Count(lines, "blacklisted", router) == 1, 5, ct);
        var status = await board.Shell.RunAsync("softbus router status", Command, ct);
        if (!status.Lines.Any(l => l.StartsWith("blacklist:", StringComparison.Ordinal) && l.Contains($":{RouterPort}", StringComparison.Ordinal)))
            throw new AssertionFailedException($"{board.Name} does not list {sim.Name} on its blacklist:\n{status.Output}");
    }

    [Then("board {board} is disconnected from router {string} by {string} within {int} second(s)")]
    [StepSummary("`softbus router events` shows the link to that router ended for the given reason")]
    public Task Disconnected(Board board, string router, string reason, int seconds, CancellationToken ct) =>
        PollEventsAsync(board, lines => lines.Any(l => l.Contains($" disconnected {AdvertisedName(router)} at ", StringComparison.Ordinal) && l.Contains(reason, StringComparison.Ordinal)), seconds, ct);

    [Then("board {board} discovers again and ignores the answers of router {string}")]
    [StepSummary("`softbus router status`: answers from a blacklisted router are counted as ignored (one burst's worth), and no router is in use")]
    public async Task IgnoresBlacklisted(Board board, string router, CancellationToken ct)
    {
        Router(router);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        ShellResult status;
        do
        {
            status = await board.Shell.RunAsync("softbus router status", Command, ct);
            var counters = status.Lines.FirstOrDefault(l => l.StartsWith("name-service:", StringComparison.Ordinal)) ?? "";
            var ignored = counters.Split(' ').Select(c => c.Split('=')).Where(kv => kv.Length == 2 && kv[0] == "blacklisted").Select(kv => int.Parse(kv[1], CultureInfo.InvariantCulture)).FirstOrDefault();
            if (ignored >= 3)
            {
                if (!status.Lines.Contains("router: none")) throw new AssertionFailedException($"{board.Name} is using a router again:\n{status.Output}");
                return;
            }
            await Task.Delay(200, ct);
        } while (DateTimeOffset.UtcNow < deadline);
        throw new AssertionFailedException($"{board.Name} ignored no burst of answers from blacklisted router {router} within 30 s:\n{status.Output}");
    }

    // ---------------------------------------------------------------- from the capture

    /// <summary>The board's NGNS queries, one per send: those to the subnet broadcast (each is also sent to 224.0.0.251).</summary>
    private static List<DnsEvent> Queries(CaptureLog log, string board) =>
        log.Events.OfType<DnsEvent>()
            .Where(e => log.Hosts.Is(e.Source, board) && !e.Message.IsResponse && e.Destination.Ip?.ToString().EndsWith(".255", StringComparison.Ordinal) == true
                        && e.Message.Questions.Any(q => q.Name == NameServiceQuery.TcpService))
            .ToList();

    private static List<TcpEvent> Syns(CaptureLog log, string board, string router) =>
        log.Events.OfType<TcpEvent>()
            .Where(e => e.Tcp.Has(TcpFlags.Syn) && !e.Tcp.Has(TcpFlags.Ack) && e.Tcp.DestinationPort == RouterPort && log.Hosts.Is(e.Source, board)
                        && log.Hosts.Is(e.Destination, router))
            .GroupBy(e => e.Tcp.SourcePort).Select(g => g.First()).ToList();

    [Then("the capture shows board {board}'s name-service queries in bursts of 3, 100 ms apart, 1.1 s between bursts")]
    [StepSummary("NGNS queries (mDNS, QD 2 with _alljoyn._tcp.local PTR class 0x8001, AR 2 with ajpv=10): one search id per burst, +1 per burst")]
    public void QueryBursts(Board board) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var q = Queries(log, board.Name);
            if (q.Count < 6) throw new AssertionFailedException($"{board.Name} sent {q.Count} name-service queries, not at least 6 (two bursts)");
            string Ms(int a, int b) => $"{(q[b].Time - q[a].Time).TotalMilliseconds:0}";
            output.WriteLine($"{board.Name}'s first queries: ids {string.Join(",", q.Take(6).Select(e => e.Message.Id))}; gaps {Ms(0, 1)}, {Ms(1, 2)}, {Ms(2, 3)}, {Ms(3, 4)}, {Ms(4, 5)} ms");
            var first = q[0].Message;
            if (first.Questions.Count != 2 || first.Additionals.Count != 2 || !first.Questions.All(x => x.UnicastResponse)
                || !first.Additionals.Any(r => r.Data.Contains("\"ajpv=10\"", StringComparison.Ordinal)) || !first.Additionals.Any(r => r.Data.Contains($"\"n_1={RouterClientOptions.DefaultPrefix}*\"", StringComparison.Ordinal)))
                throw new AssertionFailedException($"frame {q[0].Frame} is not an NGNS query as ajtcl sends it: {q[0].Summary}\n{log.Excerpt(q[0].Frame)}");
            for (var burst = 0; burst < 2; burst++)
            {
                var b = q.Skip(burst * 3).Take(3).ToList();
                if (b.Select(e => e.Message.Id).Distinct().Count() != 1) throw new AssertionFailedException($"burst {burst + 1} carries ids {string.Join(",", b.Select(e => e.Message.Id))}, not one");
                for (var i = 1; i < 3; i++)
                {
                    var gap = (b[i].Time - b[i - 1].Time).TotalMilliseconds;
                    if (gap is < 80 or > 180) throw new AssertionFailedException($"queries {i} and {i + 1} of burst {burst + 1} are {gap:0} ms apart, not ≈100 ms\n{log.Excerpt(b[i].Frame)}");
                }
            }
            if (q[3].Message.Id != (ushort)(q[0].Message.Id + 1)) throw new AssertionFailedException($"the second burst's id is {q[3].Message.Id}, not {q[0].Message.Id + 1}");
            var between = (q[3].Time - q[2].Time).TotalMilliseconds;
            if (between is < 1050 or > 1250) throw new AssertionFailedException($"the second burst came {between:0} ms after the first one's last query, not ≈1100 ms");
        });

    [Then("the capture shows router {string} answered board {board} with priority {int}")]
    [StepSummary("an mDNS answer from the router to the board: PTR _alljoyn._tcp.local, SRV with that priority and port 9955, A record")]
    public void Answered(string router, Board board, int priority) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var answers = log.Events.OfType<DnsEvent>().Where(e => log.Hosts.Is(e.Source, router) && log.Hosts.Is(e.Destination, board.Name) && e.Message.IsResponse).ToList();
            if (answers.Count == 0) throw new AssertionFailedException($"router {router} sent {board.Name} no name-service answer");
            var srv = answers[0].Message.Answers.FirstOrDefault(r => r.Type == 33)?.Data;
            if (srv is null || !srv.StartsWith($"{priority} 0 {RouterPort} ", StringComparison.Ordinal))
                throw new AssertionFailedException($"router {router}'s answer has SRV '{srv}', not priority {priority} port {RouterPort}\n{log.Excerpt(answers[0].Frame)}");
        });

    [Then("the capture shows board {board} connected to router {string} only, {int} to {int} ms after its first query")]
    [StepSummary("TCP SYNs to port 9955: the board opened connections to that router only, the first within the window's end plus the given slack")]
    public void ConnectedOnly(Board board, string router, int fromMs, int toMs) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var q = Queries(log, board.Name);
            if (q.Count == 0) throw new AssertionFailedException($"{board.Name} sent no name-service query");
            var others = _routers.Keys.Where(r => r != router).SelectMany(r => Syns(log, board.Name, r)).ToList();
            if (others.Count > 0) throw new AssertionFailedException($"{board.Name} also connected to {log.Hosts.Describe(others[0].Destination)}\n{log.Excerpt(others[0].Frame)}");
            var syns = Syns(log, board.Name, router);
            if (syns.Count == 0) throw new AssertionFailedException($"{board.Name} never opened a connection to router {router}");
            var after = (syns[0].Time - q[0].Time).TotalMilliseconds;
            output.WriteLine($"{board.Name} connected to {router} {after:0} ms after its first query");
            if (after < fromMs || after > toMs) throw new AssertionFailedException($"{board.Name} connected to router {router} {after:0} ms after its first query, not within [{fromMs}, {toMs}] ms");
        });

    [Then("the capture shows board {board} opened {int} connection(s) to router {string}")]
    [StepSummary("counts the board's TCP connections (SYNs, retransmissions once) to the router's port 9955")]
    public void OpenedConnections(Board board, int count, string router) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var n = Syns(log, board.Name, router).Count;
            if (n != count) throw new AssertionFailedException($"{board.Name} opened {n} connections to router {router}, not {count}");
        });

    [Then("the capture shows board {board} sent router {string} the SASL lines:")]
    [StepSummary("the client's SASL lines on the wire (the opening NUL as \\0), in order, on its first connection to the router")]
    public void SaslLines(Board board, string router, DataTable lines) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var expected = new[] { lines.Header.First() }.Concat(lines.Rows.Select(r => r[0])).Select(l => l.Replace("<guid>", "", StringComparison.Ordinal)).ToList();
            var sent = log.Events.OfType<AllJoynSaslEvent>().Where(e => e.FromClient && log.Hosts.Is(e.Source, board.Name) && log.Hosts.Is(e.Destination, router))
                .GroupBy(e => e.Source.Port).First().Select(e => e.Line).ToList();
            output.WriteLine($"{board.Name} → {router}: {string.Join(" | ", sent)}");
            if (sent.Count != expected.Count || sent.Zip(expected).Any(p => !p.First.StartsWith(p.Second, StringComparison.Ordinal)))
                throw new AssertionFailedException($"{board.Name} sent router {router} the SASL lines [{string.Join(" | ", sent)}], not [{string.Join(" | ", expected)}…]");
        });

    [Then("the capture shows {int} unanswered ProbeReq from board {board} to router {string}, {int} ms apart, then the link closed")]
    [StepSummary("org.alljoyn.Daemon.ProbeReq signals on the link, none answered, the next the given interval apart, then the board's FIN one interval after the last")]
    public void Probes(int count, Board board, string router, int intervalMs) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var first = Syns(log, board.Name, router).FirstOrDefault() ?? throw new AssertionFailedException($"{board.Name} never connected to router {router}");
            bool OnLink(DecodedEvent e) => e.Source.Port == first.Tcp.SourcePort || e.Destination.Port == first.Tcp.SourcePort;
            var probes = log.Events.OfType<AllJoynMessageEvent>().Where(e => OnLink(e) && log.Hosts.Is(e.Source, board.Name) && e.Member == "ProbeReq").ToList();
            var answers = log.Events.OfType<AllJoynMessageEvent>().Count(e => OnLink(e) && log.Hosts.Is(e.Source, router) && e.Member == "ProbeAck");
            output.WriteLine($"ProbeReq at {string.Join(", ", probes.Select(p => $"{(p.Time - first.Time).TotalMilliseconds:0}"))} ms after the connect; {answers} ProbeAck");
            if (probes.Count != count || answers != 0) throw new AssertionFailedException($"{probes.Count} ProbeReq and {answers} ProbeAck on the link to router {router}, not {count} and 0");
            for (var i = 1; i < probes.Count; i++)
            {
                var gap = (probes[i].Time - probes[i - 1].Time).TotalMilliseconds;
                if (Math.Abs(gap - intervalMs) > intervalMs * 0.3 + 50) throw new AssertionFailedException($"ProbeReq {i} and {i + 1} are {gap:0} ms apart, not ≈{intervalMs} ms\n{log.Excerpt(probes[i].Frame)}");
            }
            var fin = log.Events.OfType<TcpEvent>().FirstOrDefault(e => OnLink(e) && log.Hosts.Is(e.Source, board.Name) && (e.Tcp.Has(TcpFlags.Fin) || e.Tcp.Has(TcpFlags.Rst)))
                      ?? throw new AssertionFailedException($"{board.Name} never closed its link to router {router}");
            var closeGap = (fin.Time - probes[^1].Time).TotalMilliseconds;
            output.WriteLine($"link closed {closeGap:0} ms after the last ProbeReq");
            if (Math.Abs(closeGap - intervalMs) > intervalMs * 0.3 + 600) throw new AssertionFailedException($"the link closed {closeGap:0} ms after the last ProbeReq, not ≈{intervalMs} ms\n{log.Excerpt(fin.Frame)}");
        });

    public async ValueTask DisposeAsync()
    {
        foreach (var (sim, ns) in _routers.Values)
        {
            await sim.DisposeAsync();
            await ns.DisposeAsync();
        }
        _routers.Clear();
    }
}
