using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HilRig.SoftBus.Coap;
using HilRig.SoftBus.Transport;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.SoftBus.Tests.Coap;

/// <summary>
/// Debian's libcoap 4.3.1 (libcoap3-bin, the notls builds) against our CoAP, both ways, on loopback: coap-client
/// against our server (discovery, block-wise GET and PUT, a separate response, an unknown critical option), and our
/// client against coap-server (discovery, Block1 PUT, Block2 GET).
/// </summary>
[NonParallelizable]
public class LibcoapInteropTests
{
    private static readonly string Text = string.Concat(Enumerable.Range(0, 120).Select(i => $"line {i:000} of a resource too large for one block\n"));
    private CoapEndpoint? _endpoint;
    private byte[] _stored = [];

    private async Task<IPEndPoint> StartServerAsync()
    {
        var server = new CoapServer()
            .Add(new CoapResource("/big", (_, _, _) => ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, Text))) { Attributes = [new("rt", "hilrig.big"), new("ct", "0")] })
            .Add(new CoapResource("/store", (r, body, _) =>
            {
                if (r.Request.Code == CoapCode.Get) return ValueTask.FromResult<CoapMessage?>(CoapResource.Respond(CoapCode.Content, _stored, 0));
                _stored = body.ToArray();
                return ValueTask.FromResult<CoapMessage?>(new CoapMessage { Code = CoapCode.Changed });
            }))
            .Add(new CoapResource("/slow", async (_, _, ct) =>
            {
                await Task.Delay(1500, ct);
                return CoapResource.Respond(CoapCode.Content, "worth the wait");
            }));
        _endpoint = new CoapEndpoint(new UdpTransport(new IPEndPoint(IPAddress.Loopback, 0)), handler: server.HandleAsync);
        await Task.Yield();
        return _endpoint.LocalEndPoint;
    }

    [TearDown]
    public async Task TearDown()
    {
        if (_endpoint is not null) await _endpoint.DisposeAsync();
        _endpoint = null;
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string tool, params string[] args)
    {
        var path = RequiredTool.Require(tool, "libcoap is the CoAP interop peer (apt-get install libcoap3-bin)");
        var psi = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static string Uri(IPEndPoint at, string path) => $"coap://127.0.0.1:{at.Port}{path}";

    [Test]
    public async Task CoapClient_GetsWellKnownCore_FromOurServer()
    {
        var at = await StartServerAsync();
        var (_, output, err) = await RunAsync("coap-client-notls", "-B", "5", "-m", "get", Uri(at, "/.well-known/core"));
        var links = LinkFormat.Parse(output.Trim());
        Assert.That(links.Select(l => l.Target), Is.EquivalentTo(new[] { "/big", "/slow", "/store" }), err);
        Assert.That(links.Single(l => l.Target == "/big")["rt"], Is.EqualTo("hilrig.big"));
    }

    [Test]
    public async Task CoapClient_BlockwiseGet_FromOurServer([Values(16, 64, 1024)] int blockSize)
    {
        var at = await StartServerAsync();
        var (_, output, err) = await RunAsync("coap-client-notls", "-B", "10", "-b", blockSize.ToString(), "-m", "get", Uri(at, "/big"));
        Assert.That(output.TrimEnd('\n'), Is.EqualTo(Text.TrimEnd('\n')), err); // coap-client ends with a newline of its own
    }

    [Test]
    public async Task CoapClient_BlockwisePut_ToOurServer()
    {
        var at = await StartServerAsync();
        var body = Text[..3000];
        var (_, _, err) = await RunAsync("coap-client-notls", "-B", "10", "-b", "64", "-m", "put", "-e", body, Uri(at, "/store"));
        Assert.That(Encoding.UTF8.GetString(_stored), Is.EqualTo(body), err);
    }

    [Test]
    public async Task CoapClient_WaitsForOurSeparateResponse()
    {
        var at = await StartServerAsync();
        var (_, output, err) = await RunAsync("coap-client-notls", "-B", "10", "-m", "get", Uri(at, "/slow"));
        Assert.That(output.Trim(), Is.EqualTo("worth the wait"), err);
    }

    [Test]
    public async Task CoapClient_NonRequest_GetsNonResponse()
    {
        var at = await StartServerAsync();
        var (_, output, err) = await RunAsync("coap-client-notls", "-B", "5", "-N", "-m", "get", Uri(at, "/big"));
        Assert.That(output, Does.StartWith("line 000"), err);
    }

    [Test]
    public async Task CoapClient_UnknownCriticalOption_Gets402()
    {
        var at = await StartServerAsync();
        var (_, output, err) = await RunAsync("coap-client-notls", "-B", "5", "-v", "7", "-O", "65001,x", "-m", "get", Uri(at, "/big"));
        Assert.That(output + err, Does.Contain("4.02"));
    }

    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    [Test]
    public async Task OurClient_AgainstCoapServer_DiscoversPutsAndGetsBlockwise()
    {
        var tool = RequiredTool.Require("coap-server-notls", "libcoap's server is the peer of our client (apt-get install libcoap3-bin)");
        var port = FreeUdpPort();
        using var server = Process.Start(new ProcessStartInfo(tool, ["-A", "127.0.0.1", "-p", port.ToString()]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            await using var endpoint = new CoapEndpoint(new UdpTransport(new IPEndPoint(IPAddress.Loopback, 0)));
            var at = new IPEndPoint(IPAddress.Loopback, port);
            var client = new CoapClient(endpoint) { BlockSize = 64 };
            CoapMessage core = null!;
            // coap-server needs a moment to bind: retry the first request until it answers.
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                    core = await client.GetAsync(at, "/.well-known/core", cts.Token);
                    break;
                }
                catch (OperationCanceledException) when (attempt < 5) { }
            }
            var links = LinkFormat.Parse(core.PayloadText);
            Assert.That(links.Select(l => l.Target), Is.SupersetOf(new[] { "/time", "/example_data" }));
            var body = Encoding.UTF8.GetBytes(Text[..2000]);
            var put = await client.PutAsync(at, "/example_data", body, 0);
            Assert.That(put.Code.IsSuccess, Is.True, $"PUT answered {put.Code}");
            var got = await client.GetAsync(at, "/example_data");
            Assert.That(Encoding.UTF8.GetString(got.Payload.Span), Is.EqualTo(Text[..2000]));
            var time = await client.GetAsync(at, "/time");
            Assert.That(time.Code, Is.EqualTo(CoapCode.Content));
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }
}
