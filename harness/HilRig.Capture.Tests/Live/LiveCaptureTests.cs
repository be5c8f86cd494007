using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using HilRig.Capture.Decoding;
using HilRig.Capture.Events;
using HilRig.Capture.Files;
using HilRig.Capture.Live;
using HilRig.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Live;

[Category("live")]
public class LiveCaptureTests
{
    [Test]
    public void Start_UnknownInterface_ErrorNamesIt()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        var e = Assert.Throws<IOException>(() => LiveCapture.Start(new LiveCaptureOptions("nosuchif0"), _ => { }))!;
        Assert.That(e.Message, Does.Contain("nosuchif0"));
    }

    [Test]
    public void Start_BadFilter_ErrorNamesFilter()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        var e = Assert.Throws<ArgumentException>(() => LiveCapture.Start(new LiveCaptureOptions("lo") { Filter = "udp prt 5" }, _ => { }))!;
        Assert.That(e.Message, Does.Contain("udp prt 5"));
    }

    [Test]
    public void Loopback_CoapDatagrams_CapturedToFileAndDecoded()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        var dir = RepoPaths.NewTempDirectory("live");
        var path = Path.Combine(dir, "lo.pcapng");
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        using (var writer = PcapngWriter.Create(path))
        using (var capture = LiveCapture.ToFile(new LiveCaptureOptions("lo") { Filter = $"udp dst port 5683 and udp src port {port}" }, writer))
        {
            for (ushort mid = 1; mid <= 3; mid++)
            {
                var msg = new byte[] { 0x50, 0x01, 0, 0, 0xb4, (byte)'t', (byte)'i', (byte)'m', (byte)'e' };
                BinaryPrimitives.WriteUInt16BigEndian(msg.AsSpan(2), mid);
                udp.Send(msg, new IPEndPoint(IPAddress.Loopback, 5683));
            }
            Assert.That(capture.WaitForFrames(3, TimeSpan.FromSeconds(10)), Is.True, "three datagrams captured within 10 s");
        }
        var coap = CaptureDecoder.DecodeFile(path).OfType<CoapEvent>().ToList();
        Assert.That(coap.Select(c => (int)c.Message.MessageId), Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(coap.All(c => c.Message.UriPath == "/time"), Is.True);
    }

    /// <summary>Real HTTP/2 from Kestrel (server) and SocketsHttpHandler (client), captured live and decoded, compared with tshark.</summary>
    [Test]
    public async Task Loopback_KestrelGrpcExchange_DecodedPathsAndLengthsMatchTshark()
    {
        RequiredTool.RequireRoot("live capture opens a raw socket");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        await using var app = builder.Build();
        app.MapPost("/demo.Updater/GetStatus", async (HttpContext ctx) =>
        {
            var request = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(request);
            ctx.Response.ContentType = "application/grpc";
            var reply = new Demo.Status { Unit = "um7", Version = 3 }.ToByteArrayPrefixed();
            await ctx.Response.Body.WriteAsync(reply);
            ctx.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;

        var path = Path.Combine(RepoPaths.NewTempDirectory("live-h2"), "h2.pcapng");
        using (var writer = PcapngWriter.Create(path))
        using (var capture = LiveCapture.ToFile(new LiveCaptureOptions("lo") { Filter = $"tcp port {port}" }, writer))
        {
            using var client = new HttpClient();
            for (var i = 0; i < 2; i++)
            {
                var req = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/demo.Updater/GetStatus")
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    Content = new ByteArrayContent(new Demo.StatusRequest { Unit = "um" + i }.ToByteArrayPrefixed()),
                };
                req.Content.Headers.ContentType = new("application/grpc");
                using var resp = await client.SendAsync(req);
                await resp.Content.ReadAsByteArrayAsync();
            }
            // Both exchanges' last frames (trailers) have been seen once the capture holds the server's trailing HEADERS twice.
            Assert.That(capture.WaitForFrames(10, TimeSpan.FromSeconds(10)), Is.True);
        }
        await app.StopAsync();
        var registry = new HilRig.Capture.Decoding.Grpc.GrpcMessageRegistry();
        registry.RegisterFile(Demo.DemoReflection.Descriptor);
        var events = CaptureDecoder.DecodeFile(path, new DecoderOptions { Grpc = registry });
        var grpc = events.OfType<GrpcEvent>().ToList();
        Assert.That(grpc.Where(g => g.Direction == GrpcDirection.Response).Select(g => ((Demo.Status)g.Message!).Unit), Is.EqualTo(new[] { "um7", "um7" }));
        Assert.That(grpc.Where(g => g.Direction == GrpcDirection.Request).Select(g => ((Demo.StatusRequest)g.Message!).Unit), Is.EqualTo(new[] { "um0", "um1" }));

        var tshark = Tshark.Fields(path, "grpc", ["grpc.message_length"], "-d", $"tcp.port=={port},http2");
        Assert.That(grpc.GroupBy(g => g.Frame).Select(g => $"{g.Key} | {string.Join(",", g.Select(x => x.Length))}"),
            Is.EqualTo(tshark.Select(r => string.Join(" | ", r))));
    }
}

internal static class GrpcFraming
{
    public static byte[] ToByteArrayPrefixed(this Google.Protobuf.IMessage message)
    {
        var body = Google.Protobuf.MessageExtensions.ToByteArray(message);
        var framed = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)body.Length);
        body.CopyTo(framed, 5);
        return framed;
    }
}
