using System.Net.Http.Json;
using HilRig.Update.Cloud;

namespace HilRig.Update.Cm;

/// <summary>The CM's calls to the cloud: check-in, metadata, results.</summary>
public sealed class CloudClient(HttpClient http, Uri cloud)
{
    public Uri BaseAddress => cloud;

    public async Task<CheckInResponse> CheckInAsync(CheckInRequest request, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(new Uri(cloud, CloudApi.CheckInPath), request, CloudApi.Json, ct);
        await EnsureOk(response, "check-in", ct);
        return (await response.Content.ReadFromJsonAsync<CheckInResponse>(CloudApi.Json, ct))!;
    }

    public async Task<byte[]> GetAsync(Uri url, CancellationToken ct)
    {
        using var response = await http.GetAsync(url, ct);
        await EnsureOk(response, $"GET {url}", ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    public async Task ReportAsync(ResultReport report, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(new Uri(cloud, CloudApi.ResultsPath), report, CloudApi.Json, ct);
        await EnsureOk(response, "result report", ct);
    }

    private static async Task EnsureOk(HttpResponseMessage response, string what, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        throw new HttpRequestException($"{what}: cloud answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
    }
}
