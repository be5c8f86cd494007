using System.Net.Http.Json;
using System.Text.Json;
using HilRig.Cloud;
using HilRig.Update.Cloud;

namespace HilRig.Steps.Cloud;

/// <summary>
/// The cloud's operator HTTP API as the steps use it (upload, delete, trigger, results, units, dashboard). The same
/// client drives a cloud in its own SimNet namespace and one hosted on loopback, so the steps never reach into the
/// cloud's objects. A refused request throws <see cref="CloudRequestException"/> with the cloud's status and reason.
/// </summary>
public sealed class CloudApiClient(HttpClient http, Uri baseAddress)
{
    public Uri BaseAddress { get; } = baseAddress;

    public async Task<long> UploadAsync(string platformId, string bundlePath, CancellationToken ct = default)
    {
        await using var file = File.OpenRead(bundlePath);
        using var content = new StreamContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-tar");
        using var response = await http.PostAsync(Url($"api/platforms/{Uri.EscapeDataString(platformId)}/images"), content, ct);
        var body = await ReadAsync(response, "upload", ct);
        return body.GetProperty("imageVersion").GetInt64();
    }

    public async Task DeleteAsync(string platformId, long version, CancellationToken ct = default)
    {
        using var response = await http.DeleteAsync(Url($"api/platforms/{Uri.EscapeDataString(platformId)}/images/{version}"), ct);
        await ReadAsync(response, $"delete image {version}", ct);
    }

    public async Task TriggerAsync(string unitId, CancellationToken ct = default)
    {
        using var response = await http.PostAsync(Url($"api/units/{Uri.EscapeDataString(unitId)}/trigger"), null, ct);
        await ReadAsync(response, $"trigger {unitId}", ct);
    }

    public async Task AssignGroupAsync(string unitId, string? group, CancellationToken ct = default)
    {
        using var response = await http.PutAsJsonAsync(Url($"api/units/{Uri.EscapeDataString(unitId)}/group"), new GroupAssignment(group), CloudApi.Json, ct);
        await ReadAsync(response, $"group of {unitId}", ct);
    }

    public async Task<IReadOnlyList<UpdateResult>> ResultsAsync(string unitId, CancellationToken ct = default)
    {
        using var response = await http.GetAsync(Url($"{CloudApi.ResultsPath.TrimStart('/')}?unitId={Uri.EscapeDataString(unitId)}"), ct);
        return (await ReadAsync(response, "results", ct)).Deserialize<List<UpdateResult>>(CloudApi.Json) ?? [];
    }

    /// <summary>The platform's image versions as the cloud answers them (last assigned, available, latest).</summary>
    public async Task<string> VersionsJsonAsync(string platformId, CancellationToken ct = default)
    {
        using var response = await http.GetAsync(Url($"api/platforms/{Uri.EscapeDataString(platformId)}/images"), ct);
        return (await ReadAsync(response, "image versions", ct)).GetRawText();
    }

    public async Task<UnitRecord?> UnitAsync(string unitId, CancellationToken ct = default)
    {
        using var response = await http.GetAsync(Url($"api/units/{Uri.EscapeDataString(unitId)}"), ct);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        return (await ReadAsync(response, $"unit {unitId}", ct)).Deserialize<UnitRecord>(CloudApi.Json);
    }

    public async Task<DashboardFigures> DashboardAsync(CancellationToken ct = default) =>
        JsonSerializer.Deserialize<DashboardFigures>(await DashboardJsonAsync(ct), CloudApi.Json)
            ?? throw new CloudRequestException(500, "the dashboard answered with nothing");

    /// <summary>The dashboard as the cloud sends it, for the report.</summary>
    public async Task<string> DashboardJsonAsync(CancellationToken ct = default)
    {
        using var response = await http.GetAsync(Url("api/dashboard"), ct);
        return (await ReadAsync(response, "dashboard", ct)).GetRawText();
    }

    private Uri Url(string relative) => new(BaseAddress, relative);

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            var reason = text;
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.TryGetProperty("error", out var error)) reason = error.GetString() ?? text;
            }
            catch (JsonException)
            {
            }
            throw new CloudRequestException((int)response.StatusCode, $"{what}: {(int)response.StatusCode} {reason}");
        }
        if (text.Length == 0) return default;
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }
}
