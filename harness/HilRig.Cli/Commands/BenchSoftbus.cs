using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Simulators.SimNet;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench softbus [--json]</c>: discovery latency on a clean SimNet link (next to a UDP round trip between the
/// same hosts), session throughput against raw TCP between the same two namespaces, and CoAP requests/s against
/// libcoap's coap-server answering the same requests. Targets: found &lt; 50 ms after the first probe; session ≥ 0.5×
/// raw TCP; CoAP ≥ 1.0× coap-server.
/// </summary>
public static class BenchSoftbus
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var seconds = new Option<int>("--seconds") { Description = "how long each throughput and request-rate run lasts", DefaultValueFactory = _ => 5 };
        var rounds = new Option<int>("--rounds") { Description = "discovery rounds", DefaultValueFactory = _ => 20 };
        var command = new Command("softbus", "Soft-bus discovery latency, session throughput vs raw TCP, CoAP req/s vs libcoap") { json, seconds, rounds };
        command.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var asJson = parse.GetValue(json);
            try
            {
                var r = SoftBusBenchmark.Run(TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(rounds), m => { if (!asJson) Terminal.Line(m); });
                if (asJson)
                    Console.Out.WriteLine(JsonSerializer.Serialize(new BenchSoftbusJson(
                        Math.Round(r.DiscoveryMedianMs, 2), Math.Round(r.DiscoveryP95Ms, 2), Math.Round(r.UdpRttMs, 3), r.DiscoveryRounds,
                        Math.Round(r.SessionMbps, 1), Math.Round(r.TcpMbps, 1), Math.Round(r.SessionRatio, 3),
                        Math.Round(r.CoapRps), Math.Round(r.LibcoapRps), Math.Round(r.CoapRatio, 3)), BenchSoftbusJsonContext.Default.BenchSoftbusJson));
                else
                {
                    Terminal.Line($"discovery  median {r.DiscoveryMedianMs,8:0.00} ms  p95 {r.DiscoveryP95Ms:0.00} ms over {r.DiscoveryRounds} rounds (target < 50 ms); UDP round trip {r.UdpRttMs:0.000} ms");
                    Terminal.Line($"session    {r.SessionMbps,8:0.0} Mbit/s   raw TCP {r.TcpMbps:0.0} Mbit/s → {r.SessionRatio:0.00}× (target ≥ 0.5×)");
                    Terminal.Line($"CoAP       {r.CoapRps,8:0} req/s    coap-server {r.LibcoapRps:0} req/s → {r.CoapRatio:0.00}× (target ≥ 1.0×)");
                }
                return Task.FromResult(ExitCodes.Passed);
            }
            catch (SimNetRequiresRootException e)
            {
                Terminal.Error("hilrig: " + e.Message);
                return Task.FromResult(ExitCodes.RigFault);
            }
        }));
        return command;
    }
}

/// <summary>The keys of <c>hilrig bench softbus --json</c>: each figure beside its same-run baseline.</summary>
public sealed record BenchSoftbusJson(
    [property: JsonPropertyName("discovery_ms_median")] double DiscoveryMsMedian,
    [property: JsonPropertyName("discovery_ms_p95")] double DiscoveryMsP95,
    [property: JsonPropertyName("udp_rtt_ms")] double UdpRttMs,
    [property: JsonPropertyName("discovery_rounds")] int DiscoveryRounds,
    [property: JsonPropertyName("session_mbps")] double SessionMbps,
    [property: JsonPropertyName("tcp_mbps")] double TcpMbps,
    [property: JsonPropertyName("session_vs_tcp")] double SessionVsTcp,
    [property: JsonPropertyName("coap_rps")] double CoapRps,
    [property: JsonPropertyName("libcoap_rps")] double LibcoapRps,
    [property: JsonPropertyName("coap_vs_libcoap")] double CoapVsLibcoap);

[JsonSerializable(typeof(BenchSoftbusJson))]
internal sealed partial class BenchSoftbusJsonContext : JsonSerializerContext;
