using System.Text.RegularExpressions;
using HilRig.Capture.Assertions;
using HilRig.Capture.Events;
using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Rig.Boards;
using HilRig.Rig.Protocols;
using HilRig.Steps.Boards;
using HilRig.Steps.Network;
using Reqnroll;

namespace HilRig.Steps.SoftBus;

/// <summary>
/// The soft bus (seed 003) as a QA engineer drives it: boards with the <c>softbus</c> role discover each other, bind
/// with a PIN, open sessions and exchange bytes, all through each board's console shell (<c>softbus …</c>); the
/// protocol claims are checked in the SimNet capture (discovery JSON in CoAP, auth and session frames).
/// </summary>
[Binding]
public sealed partial class SoftBusSteps(ScenarioCapture capture, ScenarioOutput output)
{
    private static readonly TimeSpan Command = TimeSpan.FromSeconds(60);
    private ShellResult? _lastPairing;
    private readonly Dictionary<string, int> _sessions = new(StringComparer.Ordinal);

    private async Task<ShellResult> RunAsync(Board board, string command, CancellationToken ct)
    {
        var result = await board.Shell.RunAsync(command, Command, ct);
        output.WriteLine($"{board.Name}$ {command}\n{result.Output}\n(exit {result.ExitCode})");
        return result;
    }

    internal static async Task EnsureRunningAsync(Board board, CancellationToken ct)
    {
        if (board.Power.State == PowerState.Off) await board.Power.OnAsync(ct);
        await BootWait.UntilShellAsync(board, board.BootTimeout, ct);
    }

    [Given("soft-bus boards {board} and {board} are running")]
    [StepSummary("powers both boards on (they need the softbus role) and waits for their shells")]
    public async Task BothRunning(Board a, Board b, CancellationToken ct)
    {
        await Task.WhenAll(EnsureRunningAsync(a, ct), EnsureRunningAsync(b, ct));
    }

    [When("board {board} discovers soft-bus devices")]
    [StepSummary("starts active discovery: 12 probes to the subnet broadcast on dsoftbus's schedule, then keep-alive probes")]
    public async Task Discover(Board board, CancellationToken ct)
    {
        var r = await RunAsync(board, "softbus discover start", ct);
        if (r.ExitCode != 0) throw new AssertionFailedException($"softbus discover failed on {board.Name}:\n{r.Output}");
    }

    [Then("board {board} finds board {board} within {int} second(s)")]
    [StepSummary("polls `softbus devices` until the other board is listed")]
    public async Task Finds(Board finder, Board found, int seconds, CancellationToken ct)
    {
        var (done, devices) = await ShellPoll.UntilAsync(finder.Shell, "softbus devices", Command,
            d => d.Lines.Any(l => l.StartsWith(found.Name + " ", StringComparison.Ordinal)), TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(200), ct);
        if (!done) throw new AssertionFailedException($"{finder.Name} did not find {found.Name} within {seconds} s; it found:\n{devices.Output}");
    }

    [Then("board {board} loses board {board} within {int} second(s)")]
    [StepSummary("polls `softbus devices` until the other board is no longer listed (offline detection)")]
    public async Task Loses(Board finder, Board lost, int seconds, CancellationToken ct)
    {
        var (done, devices) = await ShellPoll.UntilAsync(finder.Shell, "softbus devices", Command,
            d => !d.Lines.Any(l => l.StartsWith(lost.Name + " ", StringComparison.Ordinal)), TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(500), ct);
        if (!done) throw new AssertionFailedException($"{finder.Name} still lists {lost.Name} after {seconds} s:\n{devices.Output}");
    }

    [When("board {board} pairs with board {board} using PIN {string}")]
    [StepSummary("binds with the PIN (SPAKE2, then identity keys exchanged); keeps the outcome for the next step")]
    public async Task Pair(Board board, Board with, string pin, CancellationToken ct) =>
        _lastPairing = await RunAsync(board, $"softbus pair {with.Name} {pin}", ct);

    [Then("the pairing succeeds")]
    [StepSummary("the last `softbus pair` bound the boards")]
    public void PairingSucceeds()
    {
        var r = _lastPairing ?? throw new InvalidOperationException("no pairing yet");
        if (r.ExitCode != 0 || !r.Output.Contains("paired with", StringComparison.Ordinal)) throw new AssertionFailedException($"the pairing failed:\n{r.Output}");
    }

    [Then("the pairing is refused with {string}")]
    [StepSummary("the last `softbus pair` failed and said why")]
    public void PairingRefused(string reason)
    {
        var r = _lastPairing ?? throw new InvalidOperationException("no pairing yet");
        if (r.ExitCode == 0 || !r.Output.Contains(reason, StringComparison.Ordinal))
            throw new AssertionFailedException($"expected the pairing to be refused with \"{reason}\", got (exit {r.ExitCode}):\n{r.Output}");
    }

    [Then("board {board} trusts board {board}")]
    [StepSummary("the board's trusted peers (bound with a PIN) include the other")]
    public async Task Trusts(Board board, Board peer, CancellationToken ct)
    {
        var status = await board.Shell.RunAsync("softbus status", Command, ct);
        var trusted = status.Lines.FirstOrDefault(l => l.StartsWith("trusted:", StringComparison.Ordinal)) ?? "";
        if (!trusted[8..].Split(',', StringSplitOptions.TrimEntries).Contains(peer.Name))
            throw new AssertionFailedException($"{board.Name} does not trust {peer.Name}:\n{status.Output}");
    }

    [GeneratedRegex(@"^session (\d+) open")]
    private static partial Regex SessionOpened();

    [When("board {board} opens a soft-bus session to board {board}")]
    [StepSummary("OpenSession to the other board's hilrig.chat session server (binding or logging in first as needed)")]
    public async Task OpenSession(Board board, Board to, CancellationToken ct)
    {
        var r = await RunAsync(board, $"softbus session open {to.Name}", ct);
        var m = r.Lines.Select(l => SessionOpened().Match(l)).FirstOrDefault(m => m.Success);
        if (r.ExitCode != 0 || m is null) throw new AssertionFailedException($"{board.Name} could not open a session to {to.Name}:\n{r.Output}");
        _sessions[board.Name] = int.Parse(m.Groups[1].Value);
    }

    private int SessionOf(Board board) =>
        _sessions.TryGetValue(board.Name, out var id) ? id : throw new InvalidOperationException($"board {board.Name} opened no session in this scenario");

    [When("board {board} sends {string} on its session")]
    [StepSummary("SendBytes on the session the board opened last")]
    public async Task Send(Board board, string text, CancellationToken ct)
    {
        var r = await RunAsync(board, $"softbus session send {SessionOf(board)} {text}", ct);
        if (r.ExitCode != 0) throw new AssertionFailedException($"SendBytes failed on {board.Name}:\n{r.Output}");
    }

    [Then("board {board} receives {string} within {int} second(s)")]
    [StepSummary("polls `softbus session received` until the text arrived on one of the board's sessions")]
    public async Task Receives(Board board, string text, int seconds, CancellationToken ct)
    {
        var (done, received) = await ShellPoll.UntilAsync(board.Shell, "softbus session received", Command,
            r => r.Lines.Any(l => l.EndsWith(": " + text, StringComparison.Ordinal)), TimeSpan.FromSeconds(seconds), TimeSpan.FromMilliseconds(200), ct);
        if (done) return;
        throw new AssertionFailedException($"{board.Name} did not receive \"{text}\" within {seconds} s; it received:\n{received.Output}");
    }

    [When("board {board} replays the last frame of its session")]
    [StepSummary("sends the session's last encrypted frame again, byte for byte (a replay attack)")]
    public async Task Replay(Board board, CancellationToken ct)
    {
        var r = await RunAsync(board, $"softbus fault replay {SessionOf(board)}", ct);
        if (r.ExitCode != 0) throw new AssertionFailedException($"the replay could not be sent:\n{r.Output}");
    }

    [Then("board {board} rejected a replayed session frame")]
    [StepSummary("the board's session counters show a refused frame and the session it came on is closed")]
    public async Task RejectedReplay(Board board, CancellationToken ct)
    {
        var (done, status) = await ShellPoll.UntilAsync(board.Shell, "softbus status", Command, s =>
            (s.Lines.FirstOrDefault(l => l.StartsWith("session-counters:", StringComparison.Ordinal)) ?? "").Contains("frame-rejected=1", StringComparison.Ordinal) &&
            s.Lines.Contains("sessions: 0"), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200), ct);
        if (!done) throw new AssertionFailedException($"{board.Name} did not reject the replayed frame:\n{status.Output}");
    }

    [When("board {board} sends a CoAP GET for {string} to board {board} port {int} in the background")]
    [StepSummary("a CON GET to a UDP port of the other board (found by discovery); the step does not wait for the answer")]
    public async Task CoapGet(Board board, string path, Board to, int port, CancellationToken ct)
    {
        var r = await RunAsync(board, $"softbus coap get {to.Name} {path} --port {port} --background", ct);
        if (r.ExitCode != 0) throw new AssertionFailedException($"the GET could not be sent:\n{r.Output}");
    }

    [When("{host} has sent {int} {string}")]
    [StepSummary("waits (up to 2 minutes) until the capture shows that many of the kind from the host, to anyone (a broadcast too)")]
    public Task HasSentAny(NetworkHost from, int count, string what, CancellationToken ct) => HasSent(from, count, what, null, ct);

    [When("{host} has sent {int} {string} to {host}")]
    [StepSummary("waits (up to 2 minutes) until the capture shows that many of the kind from the one host to the other")]
    public async Task HasSent(NetworkHost from, int count, string what, NetworkHost? to, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        var seen = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            var log = capture.Load(DirectionView.Sent);
            var match = CaptureQuery.Between(CaptureQuery.Parse(what), log.Hosts, from.Name, to?.Name);
            seen = log.Events.Count(match.Matches);
            if (seen >= count) return;
            await Task.Delay(500, ct);
        }
        throw new AssertionFailedException($"{from} sent {seen} {what}{(to is null ? "" : $" to {to}")} within 2 minutes, not {count}");
    }

    [Then("{host} answered the first discovery probe of {host} within {int} ms")]
    [StepSummary("from the capture: the first discovery reply from the one host to the other came that soon after the other's first probe")]
    public void AnsweredWithin(NetworkHost responder, NetworkHost prober, int ms) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var gap = CaptureAssert.FollowsWithin(log,
                CaptureQuery.Between(CaptureQuery.Parse("discovery probes"), log.Hosts, prober.Name, null),
                CaptureQuery.Between(CaptureQuery.Parse("discovery replies"), log.Hosts, responder.Name, prober.Name),
                TimeSpan.FromMilliseconds(ms));
            output.WriteLine($"{responder} answered {prober}'s first probe after {gap.TotalMilliseconds:0.0} ms");
        });

    [Then("every discovery reply from {host} went to port 5684 with no token")]
    [StepSummary("softbus_lite's reply: a NON POST with TKL 0 to the prober's wlanIp:5684 with that address as Uri-Host")]
    public void RepliesAreLite(NetworkHost responder) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var replies = log.Events.OfType<CoapEvent>().Where(e => log.Hosts.Is(e.Source, responder.Name) && e.Discovery is { IsProbe: false }).ToList();
            if (replies.Count == 0) throw new AssertionFailedException($"{responder} sent no discovery reply");
            var wrong = replies.FirstOrDefault(e => e.Destination.Port != 5684 || e.Message.Token.Length != 0 || e.Message.Type != Capture.Decoding.Coap.CoapType.NonConfirmable
                                                    || e.Message.Find(Capture.Decoding.Coap.CoapOptionNumber.UriHost)?.AsString() != e.Destination.Ip?.ToString());
            if (wrong is not null)
                throw new AssertionFailedException($"reply frame {wrong.Frame} is not a lite reply: {wrong.Summary} to {wrong.Destination}\n{log.Excerpt(wrong.Frame)}");
        });

    [Then("the capture shows a session frame from {host} sent twice with the same seq")]
    [StepSummary("the replay is on the wire: two session data frames from the host with one seq")]
    public void ReplayOnTheWire(NetworkHost from) =>
        capture.Check(DirectionView.Sent, log =>
        {
            var frames = log.Events.OfType<SoftBusSessionEvent>().Where(e => log.Hosts.Is(e.Source, from.Name)).ToList();
            if (!frames.GroupBy(f => (f.Source, f.Destination, f.Seq)).Any(g => g.Count() >= 2))
                throw new AssertionFailedException($"no session frame from {from} appears twice; frames: {string.Join(", ", frames.Select(f => $"#{f.Frame} seq {f.Seq}"))}");
        });
}
