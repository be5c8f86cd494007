using System.Net.Http.Json;
using HilRig.Update.Cloud;
using HilRig.Update.Serialization;
using Polly;
using Polly.Retry;

namespace HilRig.Update.Cm;

/// <summary>
/// The CM's calls to the cloud: check-in, metadata, results. A call whose connection could not be made (no route,
/// refused, address resolution failed on a lossy link) never reached the cloud, so it is retried with exponential
/// back-off; anything the cloud answered, or a connection that broke after the request went out, is not.
/// </summary>
public sealed class CloudClient
{
    private readonly HttpClient _http;
    private readonly Uri _cloud;
    private readonly ResiliencePipeline _connect;

    /// <value>5 attempts, 500 ms doubling up to 4 s.</value>
    public CloudClient(HttpClient http, Uri cloud, TimeProvider? time = null, int attempts = 5)
    {
        _http = http;
        _cloud = cloud;
        _connect = new ResiliencePipelineBuilder { TimeProvider = time ?? TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(e => e.HttpRequestError == HttpRequestError.ConnectionError),
                MaxRetryAttempts = Math.Max(0, attempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(4),
                UseJitter = false,
            })
            .Build();
    }

    public Uri BaseAddress => _cloud;

    public async Task<CheckInResponse> CheckInAsync(CheckInRequest request, CancellationToken ct)
    {
        using var response = await _connect.ExecuteAsync(async t => await _http.PostAsJsonAsync(new Uri(_cloud, CloudApi.CheckInPath), request, CloudJson.Default.CheckInRequest, t), ct);
        await EnsureOk(response, "check-in", ct);
        return (await response.Content.ReadFromJsonAsync(CloudJson.Default.CheckInResponse, ct))!;
    }

    public async Task<byte[]> GetAsync(Uri url, CancellationToken ct)
    {
        using var response = await _connect.ExecuteAsync(async t => await _http.GetAsync(url, t), ct);
        await EnsureOk(response, $"GET {url}", ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    public async Task ReportAsync(ResultReport report, CancellationToken ct)
    {
        using var response = await _connect.ExecuteAsync(async t => await _http.PostAsJsonAsync(new Uri(_cloud, CloudApi.ResultsPath), report, CloudJson.Default.ResultReport, t), ct);
        await EnsureOk(response, "result report", ct);
    }

    private static async Task EnsureOk(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        throw new HttpRequestException($"{what}: cloud answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
    }
}
