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
    public void Tun_CapturesRawIpFrames_WrittenWithTheRawLinkType()
    {
        // pcap_datalink gives DLT values; on Linux DLT_RAW is 12 where files say LINKTYPE_RAW (101). Taking the DLT as the
        // file's link type made every tun capture undecodable (tshark and our decoder: unknown link type 12).
        RequiredTool.RequireRoot("a tun device in a network namespace, and live capture");
        var socat = RequiredTool.Require("socat", "holds the tun device open so the kernel sends into it");
        var ip = RequiredTool.Require("ip", "creates the test's network namespace");
        var ns = $"hrcap-{Environment.ProcessId}";
        Run(ip, "netns", "add", ns);
        System.Diagnostics.Process? holder = null;
        try
        {
            Run(ip, "-n", ns, "link", "set", "lo", "up");
            var psi = new System.Diagnostics.ProcessStartInfo(ip) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", ns, socat, "-u", "TUN:10.251.0.1/24,tun-name=hrtun0,iff-up,iff-no-pi", "OPEN:/dev/null" })
                psi.ArgumentList.Add(a);
            holder = System.Diagnostics.Process.Start(psi)!;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!InterfaceExists(ip, ns, "hrtun0"))
            {
                if (holder.HasExited) Assert.Fail($"socat did not bring up hrtun0: {holder.StandardError.ReadToEnd()}");
                if (DateTime.UtcNow > deadline) Assert.Fail("socat did not bring up hrtun0 within 10 s");
                Thread.Sleep(20);
            }
            var path = Path.Combine(RepoPaths.NewTempDirectory("live-tun"), "tun.pcapng");
            using (var writer = PcapngWriter.Create(path))
            using (var capture = LiveCapture.ToFile(new LiveCaptureOptions("hrtun0") { Namespace = ns, Filter = "udp port 9999" }, writer))
            {
                Assert.That(capture.LinkType, Is.EqualTo(LinkType.Raw));
                Run(ip, ["netns", "exec", ns, socat, "-u", "STDIN", "UDP4-SENDTO:10.251.0.9:9999"], "raw ip");
                Assert.That(capture.WaitForFrames(1, TimeSpan.FromSeconds(10)), Is.True);
            }
            var udp = CaptureDecoder.DecodeFile(path).OfType<UdpEvent>().ToList();
            Assert.That(udp.Select(d => d.Destination.Port), Has.Member((ushort?)9999), "decoded as IP, not an unknown link type");
            var tshark = Tshark.Fields(path, "udp", ["udp.dstport"]);
            Assert.That(tshark.Select(r => r[1]), Has.Member("9999"));
        }
        finally
        {
            if (holder is { HasExited: false }) holder.Kill(entireProcessTree: true);
            holder?.WaitForExit();
            Run(ip, "netns", "del", ns);
        }
    }

    private static bool InterfaceExists(string ip, string ns, string name)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(ip) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", ns, "link", "show", name }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static void Run(string file, params string[] args) => Run(file, args, null);

    private static void Run(string file, string[] args, string? stdin)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardInput = stdin is not null };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(10_000)) p.Kill();
        Assert.That(p.ExitCode, Is.Zero, $"{file} {string.Join(' ', args)}: {p.StandardError.ReadToEnd()}");
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
    /// <summary>An Ethernet-framed IPv4 TCP segment with FIN or RST set (what lo gives).</summary>
    private static bool TcpEnds(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 + 20 + 14 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800) return false;
        var ip = frame[14..];
        if (ip[9] != 6) return false;
        var flags = ip[(ip[0] & 0x0F) * 4 + 13];
        return (flags & 0x05) != 0;
    }

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
        var endings = 0;
        using (var writer = PcapngWriter.Create(path))
        {
            var interfaceId = -1;
            using var capture = LiveCapture.Start(new LiveCaptureOptions("lo") { Filter = $"tcp port {port}" }, frame =>
            {
                if (interfaceId < 0) interfaceId = writer.AddInterface("lo", frame.LinkType);
                writer.Write(frame.TimestampNanos, frame.Data.Span, interfaceId);
                if (TcpEnds(frame.Data.Span)) Interlocked.Increment(ref endings);
            });
            using (var client = new HttpClient())
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
            // Loopback frames are captured in the order they were sent: once both sides' FIN (or a RST) is in, every
            // frame of both exchanges is too. A frame count stood here before and, under load, stopped the capture
            // before the last response (a flake CI saw).
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref endings) < 2 && DateTime.UtcNow < deadline) capture.WaitForFrames(capture.FrameCount + 1, TimeSpan.FromMilliseconds(200));
            Assert.That(Volatile.Read(ref endings), Is.GreaterThanOrEqualTo(2), "both ends of the connection closed within 10 s");
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
