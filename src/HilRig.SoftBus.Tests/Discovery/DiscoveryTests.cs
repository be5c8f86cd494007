using System.Net;
using System.Text;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Discovery;
using HilRig.SoftBus.Tests.Support;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Discovery;

/// <summary>Publish, the lite responder and the dsoftbus discoverer, in virtual time over an in-memory network.</summary>
public class DiscoveryTests
{
    private ManualTimeProvider _time = null!;
    private MemoryNetwork _net = null!;
    private readonly List<IAsyncDisposable> _owned = new();
    private readonly List<string> _log = new();
    private int _replyPorts = 40000;

    [SetUp]
    public void SetUp()
    {
        _time = new ManualTimeProvider();
        _net = new MemoryNetwork(_time);
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var o in Enumerable.Reverse(_owned)) await o.DisposeAsync();
        _owned.Clear();
    }

    private DiscoveryService Node(string name, string ip)
    {
        var server = new CoapServer();
        var endpoint = new CoapEndpoint(_net.Add(ip, 5684), new CoapEndpointOptions { Time = _time, Random = new Random(ip.GetHashCode()) }, server.HandleAsync);
        var local = new LocalDevice(Convert.ToHexString(Encoding.UTF8.GetBytes(name.PadRight(32, '0'))), name, IPAddress.Parse(ip)) { AuthPort = 7001, Broadcast = MemoryNetwork.Broadcast };
        var service = new DiscoveryService(endpoint, server, local, new DiscoveryOptions
        {
            Time = _time,
            ReplySocket = () => _net.Add(ip, Interlocked.Increment(ref _replyPorts)),
            Log = l => { lock (_log) _log.Add($"{name}: {l}"); },
        });
        _owned.Add(endpoint);
        _owned.Add(service);
        return service;
    }

    private async Task RunScheduleAsync()
    {
        for (var i = 0; i < 50; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(2);
        }
    }

    [Test]
    public async Task Discoverer_FindsPublishedDevice_WithServiceDataAndCapability()
    {
        var dut = Node("DEV_L1", "10.0.0.2");
        Assert.That(dut.Publish(new PublishInfo(1, "ddmpCapability")), Is.Null);
        var phone = Node("phone", "10.0.0.3");
        var found = new List<FoundDevice>();
        phone.DeviceFound += found.Add;
        phone.StartDiscovery();
        await Wait.UntilAsync(() => found.Count == 1, "found");
        Assert.That(found[0].Name, Is.EqualTo("DEV_L1"));
        Assert.That(found[0].AuthPort, Is.EqualTo(7001));
        Assert.That(found[0].Ip, Is.EqualTo(IPAddress.Parse("10.0.0.2")));
        Assert.That(found[0].Capabilities, Is.EqualTo(new[] { 6 }));
    }

    [Test]
    public async Task Discoverer_Sends12ProbesOnTheDsoftbusSchedule_ToTheBroadcast()
    {
        var phone = Node("phone", "10.0.0.3");
        phone.StartDiscovery();
        await Wait.UntilAsync(() => _net.Sent.Count >= 1, "first probe");
        await RunScheduleAsync();
        var probes = _net.Sent.Where(s => s.To.Address.Equals(MemoryNetwork.Broadcast)).ToList();
        Assert.That(probes, Has.Count.EqualTo(12));
        var offsets = probes.Select(p => (int)Math.Round((p.At - probes[0].At).TotalMilliseconds)).ToList();
        Assert.That(offsets, Is.EqualTo(DiscoveryService.Schedule));
        var m = CoapCodec.Decode(probes[0].Data);
        Assert.That((m.Type, m.Code, m.Path, probes[0].To.Port), Is.EqualTo((CoapType.NonConfirmable, CoapCode.Post, "/device_discover", 5684)));
        Assert.That(DiscoveryMessage.TryParse(m.Payload.Span, out var probe, out _), Is.True);
        Assert.That((probe!.CoapUri, probe.WlanIp), Is.EqualTo(("coap://10.0.0.3/device_discover", "10.0.0.3")));
    }

    [Test]
    public async Task Responder_AnswersOneValidProbe_WithOneNonPostToWlanIp_Tkl0_UriHost()
    {
        var dut = Node("DEV_L1", "10.0.0.2");
        dut.Publish(new PublishInfo(1, "castPlus"));
        // A probe from 10.0.0.9 that names 10.0.0.3 as its wlanIp: the reply goes to wlanIp, not the UDP source.
        var probe = new DiscoveryMessage { Udid = "AB", DeviceName = "pc", DeviceType = 12, WlanIp = "10.0.0.3", CoapUri = "coap://10.0.0.3/device_discover" };
        var listener = _net.Add("10.0.0.3", 5684);
        await SendAsync(probe.ToJson(), "10.0.0.9");
        await Wait.UntilAsync(() => dut.Counters["reply-sent"] == 1, "reply");
        var replies = _net.Sent.Where(s => s.To.Equals(new IPEndPoint(IPAddress.Parse("10.0.0.3"), 5684))).ToList();
        Assert.That(replies, Has.Count.EqualTo(1));
        Assert.That(replies[0].From.Port, Is.Not.EqualTo(5684), "from a fresh socket");
        var m = CoapCodec.Decode(replies[0].Data);
        Assert.That((m.Type, m.Code, m.Token.Length, m.MessageId), Is.EqualTo((CoapType.NonConfirmable, CoapCode.Post, 0, (ushort)1)));
        Assert.That(m.Find(CoapOptionNumber.UriHost)!.Value.AsString(), Is.EqualTo("10.0.0.3"));
        Assert.That(m.Path, Is.EqualTo("/device_discover"));
        Assert.That(DiscoveryMessage.TryParse(m.Payload.Span, out var reply, out _), Is.True);
        Assert.That((reply!.ServiceData, reply.CoapUri, reply.DeviceName), Is.EqualTo(("port:7001", (string?)null, "DEV_L1")));
        Assert.That(Encoding.UTF8.GetString(m.Payload.Span), Does.StartWith("{\"deviceId\":\"{\\u0022UDID\\u0022:"));
        await listener.DisposeAsync();
    }

    private Task SendAsync(byte[] json, string from)
    {
        var m = new CoapMessage { Type = CoapType.NonConfirmable, Code = CoapCode.Post, MessageId = (ushort)Random.Shared.Next(65536), Payload = json };
        m.Add(CoapOption.String(CoapOptionNumber.UriPath, "device_discover"));
        var sender = _net.Add(from, Interlocked.Increment(ref _replyPorts));
        return sender.SendAsync(CoapCodec.Encode(m), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5684)).AsTask();
    }

    [TestCase("{\"deviceId\":\"{\\\"UDID\\\":\\\"AB\\\"}\",\"devicename\":\"pc\",\"type\":12,\"wlanIp\":\"10.0.0.3\"}", "coapUri", TestName = "No coapUri: a reply, never answered")]
    [TestCase("{\"devicename\":\"pc\",\"type\":12,\"wlanIp\":\"10.0.0.3\",\"coapUri\":\"coap://10.0.0.3/device_discover\"}", "deviceId is missing", TestName = "No deviceId")]
    [TestCase("{\"deviceId\":\"{\\\"UDID\\\":\\\"AB\\\"}\",\"type\":12,\"wlanIp\":\"10.0.0.3\",\"coapUri\":\"c\"}", "devicename is missing", TestName = "No devicename")]
    [TestCase("{\"deviceId\":\"{\\\"UDID\\\":\\\"AB\\\"}\",\"devicename\":\"pc\",\"type\":300,\"wlanIp\":\"10.0.0.3\",\"coapUri\":\"c\"}", "outside 0-255", TestName = "Type over 255")]
    [TestCase("{\"deviceId\":\"{\\\"UDID\\\":\\\"AB\\\"}\",\"devicename\":5,\"type\":1,\"wlanIp\":\"10.0.0.3\",\"coapUri\":\"c\"}", "devicename is a Number", TestName = "Wrong type of devicename")]
    [TestCase("{\"deviceId\":\"AB\",\"devicename\":\"pc\",\"type\":1,\"wlanIp\":\"10.0.0.3\",\"coapUri\":\"c\"}", "no {\"UDID\"", TestName = "deviceId without a UDID")]
    [TestCase("[1,2,3]", "not an object", TestName = "Not an object")]
    [TestCase("{\"deviceId\":", "not JSON", TestName = "Broken JSON")]
    public async Task Responder_IgnoresBadProbes_WithALoggedReason(string json, string reason)
    {
        var dut = Node("DEV_L1", "10.0.0.2");
        dut.Publish(new PublishInfo(1, "castPlus"));
        await SendAsync(Encoding.UTF8.GetBytes(json), "10.0.0.9");
        await Wait.UntilAsync(() => _net.Sent.Count >= 1 && (dut.Counters["ignored"] == 1 || dut.Counters["reply-received"] == 1), "handled");
        Assert.That(dut.Counters["reply-sent"] + dut.Counters["probe-answered"], Is.Zero);
        if (reason != "coapUri") lock (_log) Assert.That(_log, Has.Some.Contains(reason));
    }

    [Test]
    public async Task Responder_IgnoresOversizedJson()
    {
        var dut = Node("DEV_L1", "10.0.0.2");
        dut.Publish(new PublishInfo(1, "castPlus"));
        var big = new DiscoveryMessage { Udid = "AB", DeviceName = new string('x', 1100), DeviceType = 1, WlanIp = "10.0.0.3", CoapUri = "c" };
        await SendAsync(big.ToJson(), "10.0.0.9");
        await Wait.UntilAsync(() => dut.Counters["ignored"] == 1, "ignored");
        lock (_log) Assert.That(_log, Has.Some.Contains("exceeds 1024"));
    }

    [Test]
    public void Publish_RejectsOtherMedia_UnknownCapabilities_AndAFourthService()
    {
        var dut = Node("DEV_L1", "10.0.0.2");
        Assert.That(dut.Publish(new PublishInfo(1, "hicall", Medium: ExchangeMedium.Ble)), Is.EqualTo(PublishFailReason.NotSupportMedium));
        Assert.That(dut.Publish(new PublishInfo(1, "warpDrive")), Is.EqualTo(PublishFailReason.ParameterInvalid));
        for (var i = 1; i <= 3; i++) Assert.That(dut.Publish(new PublishInfo(i, Capabilities.Names[i])), Is.Null);
        Assert.That(dut.Publish(new PublishInfo(4, "dvKit")), Is.EqualTo(PublishFailReason.ParameterInvalid));
    }

    [Test]
    public async Task Discoverer_ReportsADeviceThatGoesSilent_AsLost()
    {
        var dut = Node("DEV_L1", "10.0.0.2");
        dut.Publish(new PublishInfo(1, "castPlus"));
        var phone = Node("phone", "10.0.0.3");
        var lost = new List<FoundDevice>();
        phone.DeviceLost += lost.Add;
        phone.StartDiscovery();
        await Wait.UntilAsync(() => phone.Found.Count == 1, "found");
        await RunScheduleAsync();
        Assert.That(lost, Is.Empty, "answers the keep-alive probes");
        _net.Drop = (from, _, _) => from.Address.Equals(IPAddress.Parse("10.0.0.2")); // the device goes offline
        for (var i = 0; i < 100 && lost.Count == 0; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(500));
            await Task.Delay(2);
        }
        Assert.That(lost.Select(d => d.Name), Is.EqualTo(new[] { "DEV_L1" }));
        Assert.That(phone.Found, Is.Empty);
    }
}
