using System.Net;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace HilRig.Cloud;

/// <summary>The cloud on Kestrel: the HTTP API, <c>/files/</c> with Range, <c>/api/dashboard</c> and the HTML dashboard at <c>/</c>.</summary>
public sealed class CloudHost : IAsyncDisposable
{
    /// <summary>Uploads are whole bundles: a rootfs image fits.</summary>
    private const long MaxUploadSize = 4L * 1024 * 1024 * 1024;

    private readonly KestrelHost _host;
    private readonly CloudStore _store;
    private readonly SigningKey _key;

    private CloudHost(KestrelHost host, CloudStore store, SigningKey key, VersionService service)
    {
        _host = host;
        _store = store;
        _key = key;
        Service = service;
    }

    public Uri Address => _host.Address;
    public VersionService Service { get; }

    public static async Task<CloudHost> StartAsync(CloudOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null, CancellationToken ct = default)
    {
        time ??= TimeProvider.System;
        // Results.File treats a relative path as one under the web root; every path here is absolute.
        options = options with { DataDirectory = Path.GetFullPath(options.DataDirectory) };
        Directory.CreateDirectory(options.DataDirectory);
        var key = SigningKey.Load(options.SigningKeyPath);
        var trust = TrustStore.Load(options.UploadTrustPath);
        var store = new CloudStore(options.DatabasePath);
        var service = new VersionService(options, store, key, trust, time);

        var listen = new Uri(options.Listen);
        var address = listen.Host is "localhost" or "127.0.0.1" ? IPAddress.Loopback : IPAddress.Parse(listen.Host);
        KestrelHost host;
        try
        {
            host = await KestrelHost.StartAsync(new IPEndPoint(address, listen.Port), HttpProtocols.Http1AndHttp2,
                app => Map(app, service, options, time), MaxUploadSize, logging, ct);
        }
        catch
        {
            store.Dispose();
            key.Dispose();
            throw;
        }
        if (options.PublicUrl is null) service.PublicUrl = host.Address;
        return new CloudHost(host, store, key, service);
    }

    private static void Map(WebApplication app, VersionService service, CloudOptions options, TimeProvider time)
    {
        app.Use(async (context, next) =>
        {
            try { await next(context); }
            catch (CloudRequestException e) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = e.Status;
                await context.Response.WriteAsJsonAsync(new { error = e.Message }, CloudApi.Json);
            }
            catch (System.Text.Json.JsonException e) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 400;
                await context.Response.WriteAsJsonAsync(new { error = $"malformed JSON: {e.Message}" }, CloudApi.Json);
            }
        });

        app.MapPost("/api/platforms/{platformId}/images", async (string platformId, HttpRequest request, CancellationToken ct) =>
        {
            var temp = Path.Combine(options.DataDirectory, $"upload-{Guid.NewGuid():N}.tar");
            try
            {
                await using (var file = File.Create(temp)) await request.Body.CopyToAsync(file, ct);
                var (version, metadataUrl) = await service.UploadAsync(platformId, temp, ct);
                return Results.Json(new { platformId, imageVersion = version, metadataUrl }, CloudApi.Json, statusCode: 201);
            }
            finally { File.Delete(temp); }
        });
        app.MapGet("/api/platforms/{platformId}/images", async (string platformId) =>
        {
            var v = await service.VersionsAsync(platformId);
            return Results.Json(new { platformId, lastAssigned = v.LastAssigned, available = v.Available, latest = v.Latest }, CloudApi.Json);
        });
        app.MapDelete("/api/platforms/{platformId}/images/{version:long}", async (string platformId, long version) =>
        {
            await service.DeleteAsync(platformId, version);
            return Results.NoContent();
        });
        app.MapGet("/api/platforms/{platformId}/images/{version:long}/metadata", async (string platformId, long version) =>
            await service.MetadataAsync(platformId, version) is { } bytes ? Results.Bytes(bytes, "application/json") : Results.NotFound());
        app.MapPost(CloudApi.CheckInPath, async (CheckInRequest request) => Results.Json(await service.CheckInAsync(request), CloudApi.Json));
        app.MapPost("/api/units/{unitId}/trigger", async (string unitId) =>
        {
            await service.TriggerAsync(unitId);
            return Results.Accepted();
        });
        app.MapPut("/api/units/{unitId}/group", async (string unitId, GroupAssignment body) =>
        {
            await service.AssignAsync(unitId, body.Group);
            return Results.NoContent();
        });
        app.MapGet("/api/units/{unitId}", async (string unitId) =>
            await service.UnitAsync(unitId) is { } unit ? Results.Json(unit, CloudApi.Json) : Results.NotFound());
        app.MapPut("/api/groups/{name}", async (string name, GroupTarget body) =>
        {
            await service.SetGroupAsync(name, body.PlatformId, body.TargetVersion);
            return Results.NoContent();
        });
        app.MapPost(CloudApi.ResultsPath, async (ResultReport report) =>
        {
            await service.ReportAsync(report);
            return Results.Accepted();
        });
        app.MapGet(CloudApi.ResultsPath, async (string? unitId) => Results.Json(await service.ResultsAsync(unitId), CloudApi.Json));
        app.MapGet("/files/{sha256}", (string sha256) =>
        {
            if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit)) return Results.NotFound();
            var path = Path.Combine(options.FilesDirectory, sha256.ToLowerInvariant());
            return File.Exists(path) ? Results.File(path, "application/octet-stream", enableRangeProcessing: true) : Results.NotFound();
        });
        app.MapGet("/api/dashboard", async () => Results.Json(await service.DashboardAsync(), CloudApi.Json));
        app.MapGet("/", async () => Results.Content(DashboardPage.Render(await service.DashboardAsync(), time.GetUtcNow()), "text/html; charset=utf-8"));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _store.Dispose();
        _key.Dispose();
    }
}

public sealed record GroupAssignment(string? Group);

public sealed record GroupTarget(string PlatformId, long? TargetVersion);
