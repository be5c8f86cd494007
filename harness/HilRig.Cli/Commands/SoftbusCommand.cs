using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using HilRig.Cli.Output;
using HilRig.SoftBus;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig softbus node --name NAME [--listen ADDR] [--port 5684] [--pin PIN] [--data DIR] [--discover]</c>: one
/// soft-bus node in the foreground — publishing, answering discovery, serving CoAP (<c>/.well-known/core</c>, <c>/info</c>,
/// <c>/big</c> in Block2 pieces), accepting bindings with the PIN and sessions to <c>hilrig.echo</c> — logging what it
/// sees, so a developer can point it at a device or another implementation, or at libcoap's coap-client. Ctrl-C stops it.
/// </summary>
public static class SoftbusCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "the device name discovery announces", Required = true };
        var listen = new Option<string>("--listen") { Description = "address to listen on (default 0.0.0.0: every interface)", DefaultValueFactory = _ => "0.0.0.0" };
        var port = new Option<int>("--port") { Description = "the CoAP/discovery UDP port", DefaultValueFactory = _ => 5684 };
        var pin = new Option<string?>("--pin") { Description = "the PIN a peer binds with (without it the node accepts no binding)" };
        var data = new Option<string?>("--data") { Description = "where the identity and trusted peers persist (default: a new identity each run)" };
        var discover = new Option<bool>("--discover") { Description = "also probe the subnet and log the devices found" };
        var publish = new Option<string[]>("--publish") { Description = "capabilities to publish (default ddmpCapability)", AllowMultipleArgumentsPerToken = true };
        var node = new Command("node", "Run one soft-bus node in the foreground (Ctrl-C stops it)") { name, listen, port, pin, data, discover, publish };
        node.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            if (!IPAddress.TryParse(parse.GetValue(listen), out var address)) throw new Loading.UsageException($"--listen: '{parse.GetValue(listen)}' is not an IP address");
            var p = parse.GetValue(port);
            if (p is < 1 or > 65535) throw new Loading.UsageException($"--port: {p} is not a port");
            var pinValue = parse.GetValue(pin);
            if (pinValue is { Length: 0 or > 16 }) throw new Loading.UsageException("--pin: 1 to 16 characters");
            var options = new SoftBusNodeOptions
            {
                Name = parse.GetValue(name)!, Listen = address, CoapPort = p, Pin = pinValue, DataDirectory = parse.GetValue(data),
                Publish = parse.GetValue(publish) is { Length: > 0 } caps ? caps : ["ddmpCapability"],
                Log = line => Terminal.Line($"{DateTime.Now:HH:mm:ss.fff} {line}"),
            };
            SoftBusNode running;
            try
            {
                running = SoftBusNode.Start(options);
            }
            catch (SocketException e)
            {
                throw new Loading.UsageException($"cannot listen on {address}:{p}: {e.Message}");
            }
            catch (ArgumentException e)
            {
                throw new Loading.UsageException(e.Message);
            }
            await using (running)
            {
                Terminal.Line($"softbus node {options.Name} ({running.Identity.Udid[..16]}…) at {running.Address}: CoAP udp/{running.Coap.LocalEndPoint.Port}, " +
                              $"auth tcp/{running.Auth.Port}, sessions tcp/{running.Sessions.Port}, probes to {running.Broadcast}" +
                              (pinValue is null ? ", no PIN (binding refused)" : ", binding with its PIN"));
                Terminal.Line($"  try: coap-client-notls -m get coap://{(address.Equals(IPAddress.Any) ? running.Address : address)}:{running.Coap.LocalEndPoint.Port}/.well-known/core");
                if (parse.GetValue(discover)) running.Discovery.StartDiscovery();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    Terminal.Line("softbus node: stopping");
                }
            }
            return ExitCodes.Passed;
        }));
        return new Command("softbus", "Soft-bus tools") { node };
    }
}
