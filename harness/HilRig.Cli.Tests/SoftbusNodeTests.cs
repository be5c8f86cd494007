using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HilRig.SoftBus;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Cli.Tests;

/// <summary><c>hilrig softbus node</c> as a developer uses it: libcoap's coap-client against it, then Ctrl-C.</summary>
[NonParallelizable]
public class SoftbusNodeTests
{
    private static int FreeUdpPort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private static async Task<string> CoapClientAsync(params string[] args)
    {
        var tool = RequiredTool.Require("coap-client-notls", "libcoap's client is the developer's probe (apt-get install libcoap3-bin)");
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return output;
    }

    [Test]
    public async Task Node_AnswersCoapClient_DiscoveryCoreAndBlockwise_ThenStopsOnCtrlC()
    {
        RequiredTool.Require("coap-client-notls", "libcoap's client is the developer's probe (apt-get install libcoap3-bin)");
        var port = FreeUdpPort();
        using var node = Hilrig.Start("softbus", "node", "--name", "devbox", "--listen", "127.0.0.1", "--port", port.ToString(), "--pin", "4321");
        try
        {
            await ProbeThenCtrlC(node, port);
        }
        finally
        {
            // A failed assertion or a timeout above must not leave the node running after the test.
            if (!node.HasExited) node.Kill(entireProcessTree: true);
        }
    }

    private static async Task ProbeThenCtrlC(Process node, int port)
    {
        var lines = new List<string>();
        var ready = new TaskCompletionSource();
        var pump = Task.Run(async () =>
        {
            while (await node.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines) lines.Add(line);
                if (line.StartsWith("softbus node devbox", StringComparison.Ordinal)) ready.TrySetResult();
            }
        });
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var uri = $"coap://127.0.0.1:{port}";

        var core = await CoapClientAsync("-B", "5", "-m", "get", uri + "/.well-known/core");
        Assert.That(core, Does.Contain("</big>").And.Contain("</device_discover>").And.Contain("</info>"));

        var big = await CoapClientAsync("-B", "10", "-b", "64", "-m", "get", uri + "/big");
        Assert.That(big.TrimEnd('\n'), Is.EqualTo(System.Text.Encoding.ASCII.GetString(SoftBusNode.BigResource).TrimEnd('\n')));

        await CoapClientAsync("-B", "2", "-N", "-m", "post", "-t", "50", "-e",
            "{\"deviceId\":\"{\\\"UDID\\\":\\\"AB\\\"}\",\"devicename\":\"probe\",\"type\":12,\"wlanIp\":\"127.0.0.1\",\"coapUri\":\"coap://127.0.0.1/device_discover\"}",
            uri + "/device_discover");
        await Eventually.TrueAsync(() => { lock (lines) return lines.Any(l => l.Contains("answered probe (127.0.0.1)")); }, TimeSpan.FromSeconds(10), "the node logs the probe it answered");

        Process.Start("kill", ["-INT", node.Id.ToString()])!.WaitForExit();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await node.WaitForExitAsync(timeout.Token);
        await pump;
        Assert.That(node.ExitCode, Is.Zero);
        lock (lines) Assert.That(lines, Has.Some.Contains("stopping"));
    }

    [TestCase("--port", "0", "--port: 0 is not a port")]
    [TestCase("--listen", "nowhere", "--listen: 'nowhere' is not an IP address")]
    [TestCase("--pin", "12345678901234567", "--pin: 1 to 16 characters")]
    public async Task Node_BadOptions_ExitWith2AndSayWhich(string option, string value, string message)
    {
        var result = await Hilrig.RunAsync("softbus", "node", "--name", "x", option, value);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.All, Does.Contain(message));
    }
}
