using System.Net;
using System.Net.Sockets;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Capture.Live;
using HilRig.Simulators.SoftBus;
using HilRig.SoftBus.Router;
using HilRig.SoftBus.Transport;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// A real thin-core client finding a simulated router on loopback, captured live: the NGNS query and answer decode as
/// mDNS, the router link as SASL lines then AllJoyn messages (BusHello, its reply, unanswered ProbeReq), each checked
/// against tshark's mDNS and AllJoyn dissectors on the same capture.
/// </summary>
[Category("live")]
[NonParallelizable]
public class AllJoynDecodingTests
{
    private static readonly IPAddress RouterAddress = IPAddress.Parse("127.0.99.55");

    private static int FreePort(SocketType type)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Test]
    public async Task NameServiceAndRouterLink_CapturedOnLoopback_AgreeWithTshark()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        var nsPort = FreePort(SocketType.Dgram);
        var path = Path.Combine(RepoPaths.NewTempDirectory("alljoyn-capture"), "alljoyn.pcapng");
        int routerPort;
        using (var writer = PcapngWriter.Create(path))
        {
            await using var nameService = new UdpTransport(new IPEndPoint(IPAddress.Loopback, nsPort));
            // tshark's AllJoyn dissector knows only port 9955 (no decode-as); an address of its own keeps it from clashing with other loopback users.
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(RouterAddress, 9955));
            listener.Listen(4);
            routerPort = 9955;
            using var capture = LiveCapture.ToFile(new LiveCaptureOptions("lo") { Filter = $"udp port {nsPort} or tcp port 9955" }, writer);
            await Task.Delay(200); // the capture is open before the first packet
            await using var router = new RouterSimulator(nameService, listener, new RouterSimulatorOptions
            {
                Name = "org.alljoyn.BusNode.loop", Guid = "0123456789abcdef0123456789abcdef", Priority = 2, Behaviour = RouterBehaviour.SilentAfterConnect,
                Advertise = new IPEndPoint(RouterAddress, 9955),
            });
            await using var clientSocket = new UdpTransport(new IPEndPoint(IPAddress.Loopback, 0));
            var disconnected = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (var client = new RouterClient(clientSocket, new RouterClientOptions
                         {
                             Guid = "fedcba9876543210fedcba9876543210", ReplyAddress = IPAddress.Loopback, QueryTargets = [new IPEndPoint(IPAddress.Loopback, nsPort)],
                             Timers = RouterTimers.AllJoyn.Scaled(0.05), LinkTimeout = TimeSpan.FromSeconds(2), Random = new Random(1),
                         }))
            {
                client.Disconnected += (_, why) => disconnected.TrySetResult(why);
                client.Start();
                Assert.That(await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(30)), Does.Contain("link timeout"));
            }
            await Task.Delay(300);
        }
        var events = CaptureDecoder.DecodeFile(path, new DecoderOptions { MdnsPorts = [(ushort)nsPort] });
        Assert.That(events.OfType<MalformedEvent>(), Is.Empty);

        // NGNS: our queries and the router's answers, as tshark's mDNS dissector reads them.
        var dns = events.OfType<DnsEvent>().ToList();
        Assert.That(dns.Any(d => !d.Message.IsResponse) && dns.Any(d => d.Message.IsResponse), "queries and answers");
        var tsharkDns = Tshark.Fields(path, "mdns", ["dns.id", "dns.qry.name", "dns.srv.priority"], "-d", $"udp.port=={nsPort},mdns");
        var ourDns = dns.Select(d => new[]
        {
            d.Frame.ToString(), $"0x{d.Message.Id:x4}", string.Join(",", d.Message.Questions.Select(q => q.Name)),
            string.Join(",", d.Message.Answers.Where(r => r.Type == 33).Select(r => r.Data.Split(' ')[0])),
        });
        Assert.That(ourDns.Select(r => string.Join(" | ", r)), Is.EqualTo(tsharkDns.Select(r => string.Join(" | ", r))));
        Assert.That(dns.First(d => d.Message.IsResponse).Message.Answers.Single(r => r.Type == 33).Data, Does.StartWith($"2 0 {routerPort} "));

        // The router link: SASL lines each way, then messages; tshark's AllJoyn dissector on the same port.
        var sasl = events.OfType<AllJoynSaslEvent>().ToList();
        Assert.That(sasl.Where(s => s.FromClient).Select(s => s.Line), Is.EqualTo(new[] { "\\0", "AUTH ANONYMOUS", "INFORM_PROTO_VERSION 10", "BEGIN fedcba9876543210fedcba9876543210" }));
        Assert.That(sasl.Where(s => !s.FromClient).Select(s => s.Line), Is.EqualTo(new[] { "OK 0123456789abcdef0123456789abcdef", "INFORM_PROTO_VERSION 10" }));
        var messages = events.OfType<AllJoynMessageEvent>().ToList();
        Assert.That(messages.Select(m => m.Member ?? $"reply to {m.ReplySerial}"), Is.EqualTo(new[] { "BusHello", "reply to 1", "ProbeReq", "ProbeReq", "ProbeReq" }));
        var tsharkMessages = Tshark.Fields(path, "alljoyn.mess_header", ["alljoyn.mess_header.type", "alljoyn.mess_header.serial"]);
        var ourMessages = messages.GroupBy(m => m.Frame).Select(g => new[] { g.Key.ToString(), string.Join(",", g.Select(m => m.Type)), string.Join(",", g.Select(m => m.Serial)) });
        Assert.That(ourMessages.Select(r => string.Join(" | ", r)), Is.EqualTo(tsharkMessages.Select(r => string.Join(" | ", r))));
        var tsharkSasl = Tshark.Fields(path, "alljoyn.SASL.command", ["alljoyn.SASL.command"]);
        TestContext.Out.WriteLine($"tshark SASL commands: {string.Join(" ; ", tsharkSasl.Select(r => string.Join(" ", r)))}");
        Assert.That(tsharkSasl.SelectMany(r => r[1].Split(',')), Is.SupersetOf(new[] { "AUTH", "OK", "BEGIN" }), "tshark reads the same SASL exchange");
    }
}
