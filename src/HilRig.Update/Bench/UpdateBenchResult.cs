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

    /// <summary>Check-ins that each open a new mutual-TLS connection (<see cref="CheckinsPerS"/>: on the connection a unit kept).</summary>
    [JsonPropertyName("first_checkins_per_s")]
    public double FirstCheckinsPerS { get; init; }

    /// <summary>Baseline: the same clients against a TLS server that answers at once and does nothing else.</summary>
    [JsonPropertyName("tls_echo_checkins_per_s")]
    public double EchoCheckinsPerS { get; init; }

    [JsonPropertyName("tls_echo_first_checkins_per_s")]
    public double EchoFirstCheckinsPerS { get; init; }

    /// <summary>CPU time of the cloud process per check-in: what bounds the rate on a machine of its own.</summary>
    [JsonPropertyName("cloud_cpu_us_per_checkin")]
    public double CloudCpuUsPerCheckin { get; init; }

    [JsonPropertyName("cloud_cpu_us_per_first_checkin")]
    public double CloudCpuUsPerFirstCheckin { get; init; }

    [JsonPropertyName("tls_echo_cpu_us_per_checkin")]
    public double EchoCpuUsPerCheckin { get; init; }

    [JsonPropertyName("tls_echo_cpu_us_per_first_checkin")]
    public double EchoCpuUsPerFirstCheckin { get; init; }

    [JsonPropertyName("concurrency")]
    public int Concurrency { get; init; }

    /// <summary>CPU of the bench's own clients (the simulated units) per kept check-in against the cloud: on two cores, what they take the cloud cannot have.</summary>
    [JsonPropertyName("client_cpu_us_per_checkin")]
    public double ClientCpuUsPerCheckin { get; init; }

    /// <summary>The machine's 1-minute load average when the check-ins were measured (other work on it makes the rates noisy).</summary>
    [JsonPropertyName("load_average")]
    public double LoadAverage { get; init; }

    /// <summary>Rounds on the kept connections; the kept figures are their medians.</summary>
    [JsonPropertyName("kept_rounds")]
    public int KeptRounds { get; init; }

    /// <summary>Ours over the TLS echo on kept connections: the share of the transport's rate the cloud's work leaves.</summary>
    [JsonPropertyName("checkins_vs_echo")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? CheckinsVsEcho => EchoCheckinsPerS > 0 ? Math.Round(CheckinsPerS / EchoCheckinsPerS, 2) : null;
}
