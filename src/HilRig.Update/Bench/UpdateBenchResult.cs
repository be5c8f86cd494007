using System.Text.Json.Serialization;

namespace HilRig.Update.Bench;

/// <summary>
/// Figures of <c>hilrig bench update</c>, each measured in the same run as its baseline: our CM↔UM command round trip and
/// fan-out against the same exchange between two grpc-js peers, and cloud check-ins per second.
/// </summary>
public sealed record UpdateBenchResult(
    [property: JsonPropertyName("cmd_rtt_us")] double CmdRttUs,
    [property: JsonPropertyName("grpcjs_rtt_us")] double GrpcJsRttUs,
    [property: JsonPropertyName("fanout100_ms")] double Fanout100Ms,
    [property: JsonPropertyName("grpcjs_fanout100_ms")] double GrpcJsFanout100Ms,
    [property: JsonPropertyName("checkins_per_s")] double CheckinsPerS,
    [property: JsonPropertyName("units")] int Units,
    [property: JsonPropertyName("fanout")] int Fanout,
    [property: JsonPropertyName("warmup")] int Warmup)
{
    /// <summary>Ours over grpc-js: below 1 we are faster.</summary>
    [JsonPropertyName("rtt_ratio")]
    public double RttRatio => GrpcJsRttUs > 0 ? CmdRttUs / GrpcJsRttUs : double.NaN;

    [JsonPropertyName("fanout_ratio")]
    public double FanoutRatio => GrpcJsFanout100Ms > 0 ? Fanout100Ms / GrpcJsFanout100Ms : double.NaN;
}
