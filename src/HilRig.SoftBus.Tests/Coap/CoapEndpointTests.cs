using System.Net;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Tests.Support;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Coap;

/// <summary>The message layer of RFC 7252 §4 and §8 in virtual time over an in-memory network.</summary>
public class CoapEndpointTests
{
    private ManualTimeProvider _time = null!;
    private MemoryNetwork _net = null!;
    private readonly List<CoapEndpoint> _endpoints = new();

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _net = new MemoryNetwork(_time);
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var e in _endpoints) await e.DisposeAsync();
        _endpoints.Clear();
    }

    private CoapEndpoint Endpoint(string address, CoapRequestHandler? handler = null, int seed = 0)
    {
        // Each endpoint its own generator (seeded by its address unless told), so their message ids differ as real ones do.
        var e = new CoapEndpoint(_net.Add(address, 5683), new CoapEndpointOptions { Time = _time, Random = new Random(seed != 0 ? seed : IPAddress.Parse(address).GetAddressBytes()[3]) }, handler);
        _endpoints.Add(e);
        return e;
    }

    private static IPEndPoint At(string address) => new(IPAddress.Parse(address), 5683);

    [TestCase(1), TestCase(2), TestCase(3)]
    public async Task UnansweredCon_SentFiveTimes_FirstGapIn2To3s_ThenDoubling(int seed)
    {
        var client = Endpoint("10.0.0.1", seed: seed);
        var request = client.RequestAsync(CoapMessage.Request(CoapCode.Get, "/silent"), At("10.0.0.9"));
        await Wait.UntilAsync(() => _net.Sent.Count == 1, "first send");
        for (var i = 0; i < 100 && !request.IsCompleted; i++) _time.Advance(TimeSpan.FromSeconds(1));
        Assert.ThrowsAsync<CoapTimeoutException>(async () => await request);
        var sends = _net.From(client.LocalEndPoint);
        Assert.That(sends, Has.Count.EqualTo(5));
        Assert.That(sends.Select(s => s.Message.MessageId).Distinct().Count(), Is.EqualTo(1), "same message id");
        Assert.That(sends.Select(s => s.Message.TokenHex).Distinct().Count(), Is.EqualTo(1), "same token");
        var gaps = sends.Zip(sends.Skip(1), (a, b) => (b.At - a.At).TotalSeconds).ToList();
        Assert.That(gaps[0], Is.InRange(2.0, 3.0));
        for (var i = 1; i < gaps.Count; i++) Assert.That(gaps[i], Is.EqualTo(gaps[i - 1] * 2).Within(1.0), $"gap {i} doubles");
        Assert.That((sends[^1].At - sends[0].At).TotalSeconds, Is.LessThanOrEqualTo(45));
    }

    [Test]
    public async Task Request_PiggybackedResponse_EchoesMessageIdAndToken()
    {
        Endpoint("10.0.0.2", (r, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, "hi")));
        var client = Endpoint("10.0.0.1");
        var response = await client.RequestAsync(CoapMessage.Request(CoapCode.Get, "/x"), At("10.0.0.2"));
        var request = _net.From(client.LocalEndPoint)[0].Message;
        Assert.That(response.Type, Is.EqualTo(CoapType.Acknowledgement));
        Assert.That(response.MessageId, Is.EqualTo(request.MessageId));
        Assert.That(response.Token, Is.EqualTo(request.Token));
        Assert.That(response.PayloadText, Is.EqualTo("hi"));
    }

    [Test]
    public async Task SlowHandler_EmptyAck_ThenSeparateConWithNewIdAndSameToken()
    {
        var arrived = false;
        var server = Endpoint("10.0.0.2", async (r, ct) =>
        {
            arrived = true;
            await Task.Delay(TimeSpan.FromSeconds(5), _time, ct);
            return CoapResource.Respond(CoapCode.Content, "late");
        });
        var client = Endpoint("10.0.0.1");
        var pending = client.RequestAsync(CoapMessage.Request(CoapCode.Get, "/slow"), At("10.0.0.2"));
        await Wait.UntilAsync(() => arrived, "request handled");
        await Task.Delay(20); // the endpoint arms its piggyback deadline right after the handler returns
        _time.Advance(TimeSpan.FromSeconds(1.5));
        await Wait.UntilAsync(() => _net.From(server.LocalEndPoint).Count >= 1, "empty ACK");
        await Task.Delay(50); // let the client take the ACK before its retransmission timer is due
        _time.Advance(TimeSpan.FromSeconds(4));
        var response = await pending;
        await Wait.UntilAsync(() => _net.From(client.LocalEndPoint).Any(m => m.Message.Type == CoapType.Acknowledgement), "client ACKs the separate response");
        var request = _net.From(client.LocalEndPoint)[0].Message;
        var fromServer = _net.From(server.LocalEndPoint).Select(s => s.Message).ToList();
        Assert.That(fromServer[0].Type, Is.EqualTo(CoapType.Acknowledgement));
        Assert.That(fromServer[0].IsEmpty, Is.True);
        Assert.That(fromServer[0].MessageId, Is.EqualTo(request.MessageId));
        Assert.That(fromServer[1].Type, Is.EqualTo(CoapType.Confirmable));
        Assert.That(fromServer[1].MessageId, Is.Not.EqualTo(request.MessageId));
        Assert.That(fromServer[1].Token, Is.EqualTo(request.Token));
        Assert.That(response.PayloadText, Is.EqualTo("late"));
        var ack = _net.From(client.LocalEndPoint).Select(m => m.Message).First(m => m.Type == CoapType.Acknowledgement);
        Assert.That((ack.Type, ack.IsEmpty, ack.MessageId), Is.EqualTo((CoapType.Acknowledgement, true, fromServer[1].MessageId)));
    }

    [Test]
    public async Task DuplicateCon_AnsweredIdentically_ProcessedOnce()
    {
        var calls = 0;
        var server = Endpoint("10.0.0.2", (r, _) => { calls++; return ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Changed, "ok")); });
        var con = CoapMessage.Request(CoapCode.Post, "/count");
        con.MessageId = 77;
        con.Token = [0xCA, 0xFE];
        var bytes = CoapCodec.Encode(con);
        var transport = (MemoryTransport)typeof(CoapEndpoint).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(server)!;
        transport.Inject(bytes, At("10.0.0.7"));
        transport.Inject(bytes, At("10.0.0.7"));
        await Wait.UntilAsync(() => _net.From(server.LocalEndPoint).Count == 2, "two replies");
        var replies = _net.Sent.Where(s => s.From.Equals(server.LocalEndPoint)).Select(s => s.Data).ToList();
        Assert.That(replies[1], Is.EqualTo(replies[0]));
        Assert.That(calls, Is.EqualTo(1));
        Assert.That(server.Counters["duplicate"], Is.EqualTo(1));
        // After EXCHANGE_LIFETIME the id may be reused and is processed again.
        _time.Advance(TimeSpan.FromSeconds(248));
        transport.Inject(bytes, At("10.0.0.7"));
        await Wait.UntilAsync(() => calls == 2, "processed again after 247 s");
    }

    private void Inject(CoapEndpoint server, string hex, bool toGroup = false) =>
        ((MemoryTransport)typeof(CoapEndpoint).GetField("_transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(server)!)
            .Inject(Convert.FromHexString(hex), At("10.0.0.7"), toGroup);

    private CoapMessage? Reply(CoapEndpoint server) => _net.From(server.LocalEndPoint).Select(s => s.Message).LastOrDefault();

    private int _markers;

    private static bool IsMarkerReply(CoapMessage m) => m.Type == CoapType.NonConfirmable && m.Token.Length == 0;

    /// <summary>Injects a datagram, then a NON marker request; once the marker is answered the first has been handled (one receive loop, in order).</summary>
    private async Task<CoapMessage?> ReplyAfter(CoapEndpoint server, string hex, bool toGroup = false)
    {
        var before = _net.From(server.LocalEndPoint).Count;
        Inject(server, hex, toGroup);
        Inject(server, $"5001{0x0f00 + ++_markers:x4}");
        await Wait.UntilAsync(() => _net.From(server.LocalEndPoint).Skip(before).Any(s => IsMarkerReply(s.Message)), "the marker's reply");
        return _net.From(server.LocalEndPoint).Skip(before).Select(s => s.Message).FirstOrDefault(m => !IsMarkerReply(m));
    }

    [Test]
    public async Task EmptyConPing_GetsRstWithSameId()
    {
        var server = Endpoint("10.0.0.2");
        var reply = await ReplyAfter(server, "40001234");
        Assert.That((reply!.Type, reply.IsEmpty, reply.MessageId), Is.EqualTo((CoapType.Reset, true, (ushort)0x1234)));
    }

    [Test]
    public async Task ConWithFormatError_GetsRst_NonIsIgnored()
    {
        var server = Endpoint("10.0.0.2", (r, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, "x")));
        var con = await ReplyAfter(server, "49012222" + "010203040506070809");
        Assert.That((con!.Type, con.MessageId), Is.EqualTo((CoapType.Reset, (ushort)0x2222)), "TKL 9 CON is rejected, never answered 2.xx");
        var non = await ReplyAfter(server, "59013333" + "010203040506070809");
        Assert.That(non, Is.Null, "a NON with a format error gets nothing");
    }

    [Test]
    public async Task UnknownCriticalOption_ConGets402_NonGetsNothing()
    {
        var server = Endpoint("10.0.0.2", (r, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, "x")));
        // Option 9 (critical, unassigned): delta 9, length 1.
        var con = await ReplyAfter(server, "4101444499" + "9178");
        Assert.That((con!.Type, con.Code, con.MessageId), Is.EqualTo((CoapType.Acknowledgement, CoapCode.BadOption, (ushort)0x4444)));
        var non = await ReplyAfter(server, "5101555599" + "9178");
        Assert.That(non, Is.Null, "a NON with an unknown critical option is dropped");
        // An unknown elective (even) option is ignored and the request served.
        var elective = await ReplyAfter(server, "4101666699" + "a178");
        Assert.That(elective!.Code, Is.EqualTo(CoapCode.Content));
    }

    [Test]
    public async Task UnknownConResponse_GetsRst()
    {
        var server = Endpoint("10.0.0.2");
        var reply = await ReplyAfter(server, "414577770a");
        Assert.That((reply!.Type, reply.MessageId), Is.EqualTo((CoapType.Reset, (ushort)0x7777)));
    }

    [Test]
    public async Task GroupRequest_NonAnsweredWithinLeisure_ConAndErrorsNeverAnswered()
    {
        var server = Endpoint("10.0.0.2", (r, _) => ValueTask.FromResult<CoapMessage?>(r.Request.Path == "/ok" ? CoapResource.Respond(CoapCode.Content, "g") : new CoapMessage { Code = CoapCode.NotFound }));
        Inject(server, "51018888" + "01" + "b26f6b", toGroup: true);   // NON GET /ok to a group
        Inject(server, "51019999" + "02" + "b26e6f", toGroup: true);   // NON GET /no: 4.04 is suppressed
        Inject(server, "4101aaaa" + "03" + "b26f6b", toGroup: true);   // CON to a group: ignored
        Inject(server, "4000bbbb", toGroup: true);                     // a ping to a group: no RST
        await Wait.UntilAsync(() => server.Counters["group-con"] == 1, "group CON seen");
        _time.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => _net.From(server.LocalEndPoint).Count >= 1, "the leisurely reply");
        await Task.Delay(50);
        var replies = _net.From(server.LocalEndPoint);
        Assert.That(replies, Has.Count.EqualTo(1));
        Assert.That((replies[0].Message.Type, replies[0].Message.Code, replies[0].Message.TokenHex), Is.EqualTo((CoapType.NonConfirmable, CoapCode.Content, "01")));
    }
}
