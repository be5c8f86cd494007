using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Simulators.Benchmarks;
using HilRig.Simulators.SimNet;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bench simnet [--json]</c>: SimNet forwarding against a direct veth pair, and our decoders against
/// <c>tshark -T fields</c> on the same 100,000-packet capture. Targets: SimNet ≥ 25% of veth, decoding ≥ 10× tshark.
/// </summary>
public static class BenchSimnet
{
    public static Command Create()
    {
        var json = CommonOptions.Json();
        var seconds = new Option<int>("--seconds") { Description = "how long each throughput run lasts", DefaultValueFactory = _ => 5 };
        var packets = new Option<int>("--packets") { Description = "frames in the decoder capture", DefaultValueFactory = _ => 100_000 };
        var largePackets = new Option<int>("--large-packets") { Description = "frames in the capture tshark and our decoder are also timed on", DefaultValueFactory = _ => 1_000_000 };
        var mtu = new Option<int>("--mtu") { Description = "MTU of the SimNet hosts' eth0 (the veth pair keeps 1500 and its offloads)", DefaultValueFactory = _ => 1500 };
        var command = new Command("simnet", "SimNet throughput vs a veth pair; decoder speed vs tshark") { json, seconds, packets, largePackets, mtu };
        command.SetAction((parse, _) => Loading.GuardAsync(() =>
        {
            var asJson = parse.GetValue(json);
            var work = Directory.CreateTempSubdirectory("hilrig-bench-simnet").FullName;
            try
            {
                var result = SimNetBenchmark.Run(TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(packets),
                    Path.Combine(Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? Directory.GetCurrentDirectory(), "fixtures", "captures"), work, m => { if (!asJson) Terminal.Line(m); }, parse.GetValue(mtu), parse.GetValue(largePackets));
                if (asJson)
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(new BenchSimnetJson(
                        Math.Round(result.SimnetMbps, 1), Math.Round(result.VethMbps, 1), Math.Round(result.SimnetFps),
                        Math.Round(result.DecodePps), Math.Round(result.TsharkPps), Math.Round(result.PerFrameMbps, 1), Math.Round(result.DecodeVerifiedPps),
                        Math.Round(result.PacketDotNetPps), result.Packets, Math.Round(result.DecodeLargePps), Math.Round(result.TsharkLargePps), result.LargePackets),
                        BenchSimnetJsonContext.Utf8.BenchSimnetJson));
                }
                else
                {
                    Terminal.Line($"SimNet   {result.SimnetMbps,9:0.0} Mbit/s  {result.SimnetFps,9:0} frames/s (wire frames; TSO super-frames passed whole)");
                    Terminal.Line($"  per-frame {result.PerFrameMbps,6:0.0} Mbit/s  {result.PerFrameFps,9:0} frames/s (offloads off: every frame switched on its own)");
                    Terminal.Line($"veth     {result.VethMbps,9:0.0} Mbit/s   → SimNet at {result.ThroughputRatio:P0} of veth (target ≥ 25%)");
                    Terminal.Line($"decoder  {result.DecodePps,9:0} packets/s  ({result.DecodeVerifiedPps:0} with checksums verified, as scenario captures are read)");
                    Terminal.Line($"PacketDotNet {result.PacketDotNetPps,5:0} packets/s  (to the transport ports only; ours goes on to L7)");
                    Terminal.Line($"tshark   {result.TsharkPps,9:0} packets/s → decoder at {result.DecodeRatio:0.0}× tshark (target ≥ 10×), {result.Packets} packets");
                    Terminal.Line($"on {result.LargePackets} frames: decoder {result.DecodeLargePps:0} packets/s, tshark {result.TsharkLargePps:0} packets/s → {result.DecodeRatioLarge:0.0}× (tshark's start-up no longer counts)");
                }
                return Task.FromResult(ExitCodes.Passed);
            }
            catch (SimNetRequiresRootException e)
            {
                Terminal.Error("hilrig: " + e.Message);
                return Task.FromResult(ExitCodes.RigFault);
            }
            finally
            {
                Directory.Delete(work, true);
            }
        }));
        return command;
    }
}

/// <summary>The keys issue 5 names for <c>hilrig bench simnet --json</c>.</summary>
public sealed record BenchSimnetJson(
    [property: JsonPropertyName("simnet_mbps")] double SimnetMbps,
    [property: JsonPropertyName("veth_mbps")] double VethMbps,
    [property: JsonPropertyName("simnet_fps")] double SimnetFps,
    [property: JsonPropertyName("decode_pps")] double DecodePps,
    [property: JsonPropertyName("tshark_pps")] double TsharkPps,
    [property: JsonPropertyName("simnet_per_frame_mbps")] double SimnetPerFrameMbps,
    [property: JsonPropertyName("decode_verified_pps")] double DecodeVerifiedPps,
    [property: JsonPropertyName("packetdotnet_pps")] double PacketDotNetPps,
    [property: JsonPropertyName("packets")] int Packets,
    [property: JsonPropertyName("decode_large_pps")] double DecodeLargePps,
    [property: JsonPropertyName("tshark_large_pps")] double TsharkLargePps,
    [property: JsonPropertyName("large_packets")] int LargePackets);

[JsonSerializable(typeof(BenchSimnetJson))]
internal sealed partial class BenchSimnetJsonContext : JsonSerializerContext
{
    public static readonly BenchSimnetJsonContext Utf8 = new(JsonText.Options());
}
