using System.Net;
using System.Net.Sockets;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Coap;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Capture.Live;
using HilRig.SoftBus;
using HilRig.SoftBus.Sessions;
using HilRig.Testing;
using NUnit.Framework;
using SoftCoap = HilRig.SoftBus.Coap;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// Real soft-bus traffic between two nodes on loopback, captured live and decoded: discovery JSON inside CoAP (checked
/// against tshark's CoAP dissector), auth frames of the binding (module, seq, flag; encrypted bodies shown as such) and
/// session frames, all through the stream-decoder seam.
/// </summary>
[Category("live")]
[NonParallelizable]
public class SoftBusDecodingTests
{
    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Test]
    public async Task BindingAndSession_CapturedOnLoopback_DecodeIntoSoftBusEvents()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        var coapPort = FreeUdpPort();
        await using var dut = SoftBusNode.Start(new SoftBusNodeOptions { Name = "dut", Listen = IPAddress.Loopback, CoapPort = coapPort, Pin = "246810" });
        await using var phone = SoftBusNode.Start(new SoftBusNodeOptions { Name = "phone", Listen = IPAddress.Loopback, CoapPort = FreeUdpPort(), Publish = [] });
        var path = Path.Combine(RepoPaths.NewTempDirectory("softbus-capture"), "softbus.pcapng");
        using (var writer = PcapngWriter.Create(path))
        using (var capture = LiveCapture.ToFile(new LiveCaptureOptions("lo") { Filter = $"udp port {coapPort} or tcp port {dut.Auth.Port} or tcp port {dut.Sessions.Port}" }, writer))
        {
            await Task.Delay(200); // the capture is open before the first packet
            var client = new SoftCoap.CoapClient(phone.Coap);
            var dutCoap = new IPEndPoint(IPAddress.Loopback, coapPort);
            await client.GetAsync(dutCoap, "/.well-known/core");
            var probe = new HilRig.SoftBus.Discovery.DiscoveryMessage
            {
                Udid = phone.Identity.Udid, DeviceName = "phone", DeviceType = 0xF2, WlanIp = "127.0.0.1", CoapUri = "coap://127.0.0.1/device_discover",
            };
            var post = SoftCoap.CoapMessage.Request(SoftCoap.CoapCode.Post, "/device_discover", SoftCoap.CoapType.NonConfirmable);
            post.Payload = probe.ToJson();
            await phone.Coap.SendNonConfirmableAsync(post, dutCoap);
            var link = await phone.Auth.PairAsync(new IPEndPoint(IPAddress.Loopback, dut.Auth.Port), "246810");
            var echoed = new TaskCompletionSource();
            var session = await phone.Sessions.OpenSessionAsync("app", SoftBusNode.EchoSession, link, new SessionListener { OnBytesReceived = (_, _) => echoed.TrySetResult() });
            await session.SendBytesAsync("ping over the soft bus"u8.ToArray());
            await echoed.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await Task.Delay(300);
        }
        var events = CaptureDecoder.DecodeFile(path, new DecoderOptions { CoapPorts = [(ushort)coapPort] });
        Assert.That(events.OfType<MalformedEvent>(), Is.Empty);

        var discovery = events.OfType<CoapEvent>().Select(e => e.Discovery).Where(d => d is not null).ToList();
        Assert.That(discovery, Has.Count.EqualTo(1));
        Assert.That((discovery[0]!.IsProbe, discovery[0]!.DeviceName, discovery[0]!.Udid), Is.EqualTo((true, "phone", phone.Identity.Udid)));

        var auth = events.OfType<SoftBusAuthEvent>().ToList();
        var plain = auth.Where(a => a.Module == 3).Select(a => a.MessageCode).ToList();
        Assert.That(plain, Is.EqualTo(new int?[] { 0x0001, 0x8001, 0x0002, 0x8002, 0x0003, 0x8003 }), "the binding's HiChain messages in order");
        Assert.That(auth.Where(a => a.Module == 3 && a.MessageCode >= 0x8000).All(a => a.IsReply), Is.True, "replies carry flag 1");
        var encrypted = auth.Where(a => a.Encrypted).ToList();
        Assert.That(encrypted.Select(a => a.Module), Is.EqualTo(new[] { 5, 5, 6, 6 }), "VerifyIp both ways, then the session open and its reply");
        Assert.That(encrypted.All(a => a.KeyIndex is > 0 && a.Length > 32), Is.True);
        Assert.That(encrypted.Last().Seq, Is.EqualTo(100), "the open reply has seq 100");

        var data = events.OfType<SoftBusSessionEvent>().ToList();
        Assert.That(data, Has.Count.EqualTo(2), "the ping and its echo");
        Assert.That(data.All(d => d.Seq == 1 && d.IvSeq == 1 && d.DataLength == 22 + 28), Is.True);

        // tshark dissects the same CoAP (told that this port is CoAP).
        var expected = Tshark.Fields(path, "coap", ["coap.type", "coap.code", "coap.mid", "coap.opt.uri_path_recon"], "-d", $"udp.port=={coapPort},coap");
        var ours = events.OfType<CoapEvent>().Select(e => new[] { e.Frame.ToString(), ((int)e.Message.Type).ToString(), e.Message.Code.ToString(), e.Message.MessageId.ToString(), e.Message.UriPath ?? e.RequestPath ?? "" });
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
    }
}
