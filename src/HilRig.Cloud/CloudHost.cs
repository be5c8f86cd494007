using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using HilRig.Cloud.Security;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HilRig.Cloud;

/// <summary>
/// The cloud on Kestrel, HTTPS only: the HTTP API, <c>/files/</c> with Range, <c>/api/dashboard</c> and the HTML
/// dashboard at <c>/</c>. Units authenticate with client certificates from the cloud's CA and act only as themselves;
/// operators with bearer tokens whose roles admit the route (<see cref="CloudAccess"/> on every route).
/// </summary>
public sealed class CloudHost : IAsyncDisposable
{
    private readonly KestrelHost _host;
    private readonly CloudStore _store;
    private readonly SigningKey _key;
    private readonly SecurityLog _securityLog;
    private readonly X509Certificate2 _serverCertificate;

    private CloudHost(KestrelHost host, CloudStore store, SigningKey key, VersionService service, SecurityLog securityLog,
        X509Certificate2 serverCertificate, CloudDataDirectory data, IReadOnlyList<string> created, IReadOnlyList<(string, CloudAccess?)> endpoints)
    {
        Endpoints = endpoints;
        _host = host;
        _store = store;
        _key = key;
        _securityLog = securityLog;
        _serverCertificate = serverCertificate;
        Service = service;
        Data = data;
        Created = created;
    }

    public Uri Address => _host.Address;
    public VersionService Service { get; }
    public CloudDataDirectory Data { get; }

    /// <summary>Every route (<c>POST /api/checkin</c>) with its access rule (null: none, which the cloud refuses to serve).</summary>
    public IReadOnlyList<(string Route, CloudAccess? Access)> Endpoints { get; }

    /// <summary>What this start made because the data directory lacked it (keys, CA, server certificate, admin token).</summary>
    public IReadOnlyList<string> Created { get; }

    public static async Task<CloudHost> StartAsync(CloudOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null, CancellationToken ct = default)
    {
        time ??= TimeProvider.System;
        // Results.File treats a relative path as one under the web root; every path here is absolute.
        options = options with { DataDirectory = Path.GetFullPath(options.DataDirectory) };
        var listen = new Uri(options.Listen);
        if (listen.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException($"listen URL {options.Listen}: the cloud serves HTTPS only (units authenticate with client certificates)");
        var address = listen.Host is "localhost" ? IPAddress.Loopback : IPAddress.TryParse(listen.Host, out var ip) ? ip
            : throw new ArgumentException($"listen URL {options.Listen}: '{listen.Host}' is not an IP address to listen on");
        var data = options.Data;
        var created = data.EnsureFiles(options, CloudDataDirectory.ServerNames(listen, options.PublicUrl), time.GetUtcNow()).ToList();
        var key = LoadKey(options.SigningKeyPath ?? data.SigningKey);
        CloudStore? store = null;
        SecurityLog? securityLog = null;
        X509Certificate2? serverCertificate = null;
        try
        {
            TrustStore trust;
            try { trust = TrustStore.Load(options.UploadTrustPath ?? data.UploadTrust); }
            catch (TrustStoreException e) { throw new CloudSetupException(e.Message, e); }
            store = new CloudStore(data.Database);
            if (await data.EnsureAdminTokenAsync(store, time.GetUtcNow()) is { } token) created.Add(token);
            var ca = CloudCertificateAuthority.LoadCertificate(data.CaCertificate, "the CA certificate");
            serverCertificate = X509Certificate2.CreateFromPemFile(data.ServerCertificate, data.ServerKey);
            var service = new VersionService(options, store, key, trust, time);
            var log = securityLog = new SecurityLog(data.SecurityLog, null, time);
            var access = new CloudAccessMiddleware(store, new UnitCertificateCheck(ca, time), time);
            var chainPolicy = CertificateTrust(ca);
            var certificate = serverCertificate;
            var endpoints = new List<(string, CloudAccess?)>();
            var host = await KestrelHost.StartAsync(new IPEndPoint(address, listen.Port), HttpProtocols.Http1AndHttp2, app =>
            {
                Map(app, service, options, time, access, log);
                foreach (var e in ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>())
                    foreach (var method in e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                        endpoints.Add(($"{method} {e.RoutePattern.RawText}", e.Metadata.GetMetadata<CloudAccess>()));
            }, CloudAccess.UploadBody, logging, ct, https =>
                {
                    https.ServerCertificate = certificate;
                    // Asked for, not required: operators have no certificate, and a unit whose certificate is refused
                    // gets a 401 with the reason (and a line in the security log) instead of a failed handshake.
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    https.ClientCertificateValidation = (_, _, _) => true;
                    // The handshake's own chain check then looks at this CA only, never the machine's roots.
                    https.OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = chainPolicy;
                });
            if (options.PublicUrl is null) service.PublicUrl = host.Address;
            return new CloudHost(host, store, key, service, log, serverCertificate, data, created, endpoints);
        }
        catch
        {
            store?.Dispose();
            securityLog?.Dispose();
            serverCertificate?.Dispose();
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The cloud's own events (refusals, start-up) on the console, one line each; ASP.NET Core's per-request lines only
    /// from warnings up: six lines for every check-in cost more CPU than the check-in (profiled for issue 13).
    /// </summary>
    public static void ConsoleLogging(ILoggingBuilder logging)
    {
        logging.AddSimpleConsole(o => o.SingleLine = true);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
    }

    /// <summary>A chain policy that trusts <paramref name="ca"/> alone, offline (what both ends of the cloud's TLS check against).</summary>
    public static X509ChainPolicy CertificateTrust(X509Certificate2 ca)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(ca);
        return policy;
    }

    private static SigningKey LoadKey(string path)
    {
        try { return SigningKey.Load(path); }
        catch (KeyFileException e) { throw new CloudSetupException(e.Message, e); }
    }

    private static void Map(WebApplication app, VersionService service, CloudOptions options, TimeProvider time, CloudAccessMiddleware access, SecurityLog securityLog)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("HilRig.Cloud.Security");
        securityLog.Logger = log;
        app.Use(async (context, next) =>
        {
            try { await next(context); }
            catch (CloudRequestException e) when (!context.Response.HasStarted)
            {
                await RefuseAsync(context, e.Status, e.Message, securityLog);
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                // Kestrel's own limits (a chunked upload running past its limit): the same answer as ours.
                var reason = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"request body is over the limit of {context.Request.Method} {context.Request.Path}"
                    : $"bad request: {e.Message}";
                await RefuseAsync(context, e.StatusCode, reason, securityLog);
            }
            catch (System.Text.Json.JsonException e) when (!context.Response.HasStarted)
            {
                await RefuseAsync(context, 400, $"malformed JSON: {e.Message}", securityLog);
            }
        });
        app.UseRouting();
        app.Use(access.InvokeAsync);

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
        }).WithMetadata(CloudAccess.Operator(OperatorRole.Oem, CloudAccess.UploadBody));
        app.MapGet("/api/platforms/{platformId}/images", async (string platformId) =>
        {
            var v = await service.VersionsAsync(platformId);
            return Results.Json(new { platformId, lastAssigned = v.LastAssigned, available = v.Available, latest = v.Latest }, CloudApi.Json);
        }).WithMetadata(CloudAccess.Operator(CloudAccess.Readers));
        app.MapDelete("/api/platforms/{platformId}/images/{version:long}", async (string platformId, long version) =>
        {
            await service.DeleteAsync(platformId, version);
            return Results.NoContent();
        }).WithMetadata(CloudAccess.Operator(OperatorRole.Oem));
        app.MapGet("/api/platforms/{platformId}/images/{version:long}/metadata", async (string platformId, long version, HttpContext context) =>
        {
            if (context.Features.Get<CloudCaller>() is UnitCaller unit) await service.RequirePlatformAsync(unit.UnitId, platformId);
            return await service.MetadataAsync(platformId, version) is { } bytes ? Results.Bytes(bytes, "application/json") : Results.NotFound();
        }).WithMetadata(CloudAccess.UnitOrOperator(CloudAccess.Readers));
        app.MapPost(CloudApi.CheckInPath, async (CheckInRequest request, HttpContext context) =>
        {
            CloudAccessMiddleware.RequireSelf(context, request.UnitId, "check-in");
            return Results.Json(await service.CheckInAsync(request), CloudApi.Json);
        }).WithMetadata(CloudAccess.Unit());
        app.MapPost("/api/units/{unitId}/trigger", async (string unitId) =>
        {
            await service.TriggerAsync(unitId);
            return Results.Accepted();
        }).WithMetadata(CloudAccess.Operator(OperatorRole.Operator));
        app.MapPut("/api/units/{unitId}/group", async (string unitId, GroupAssignment body) =>
        {
            await service.AssignAsync(unitId, body.Group);
            return Results.NoContent();
        }).WithMetadata(CloudAccess.Operator(OperatorRole.Operator));
        app.MapGet("/api/units/{unitId}", async (string unitId) =>
            await service.UnitAsync(unitId) is { } unit ? Results.Json(unit, CloudApi.Json) : Results.NotFound())
            .WithMetadata(CloudAccess.Operator(CloudAccess.Readers));
        app.MapPut("/api/groups/{name}", async (string name, GroupTarget body) =>
        {
            await service.SetGroupAsync(name, body.PlatformId, body.TargetVersion);
            return Results.NoContent();
        }).WithMetadata(CloudAccess.Operator(OperatorRole.Operator));
        app.MapPost(CloudApi.ResultsPath, async (ResultReport report, HttpContext context) =>
        {
            CloudAccessMiddleware.RequireSelf(context, report.UnitId, "result report");
            await service.ReportAsync(report);
            return Results.Accepted();
        }).WithMetadata(CloudAccess.Unit(CloudAccess.ReportBody));
        app.MapGet(CloudApi.ResultsPath, async (string? unitId) => Results.Json(await service.ResultsAsync(unitId), CloudApi.Json))
            .WithMetadata(CloudAccess.Operator(CloudAccess.Readers));
        app.MapGet("/files/{sha256}", async (string sha256, HttpContext context) =>
        {
            if (sha256.Length != 64 || !sha256.All(Uri.IsHexDigit)) return Results.NotFound();
            sha256 = sha256.ToLowerInvariant();
            if (context.Features.Get<CloudCaller>() is UnitCaller unit) await service.RequireFileOfPlatformAsync(unit.UnitId, sha256);
            var path = Path.Combine(options.FilesDirectory, sha256);
            return File.Exists(path) ? Results.File(path, "application/octet-stream", enableRangeProcessing: true) : Results.NotFound();
        }).WithMetadata(CloudAccess.UnitOrOperator(CloudAccess.Readers));
        app.MapGet("/api/dashboard", async () => Results.Json(await service.DashboardAsync(), CloudApi.Json))
            .WithMetadata(CloudAccess.Operator(CloudAccess.Readers));
        app.MapGet("/", async () => Results.Content(DashboardPage.Render(await service.DashboardAsync(), time.GetUtcNow()), "text/html; charset=utf-8"))
            .WithMetadata(CloudAccess.Operator(CloudAccess.Readers));
    }

    private static async Task RefuseAsync(HttpContext context, int status, string reason, SecurityLog securityLog)
    {
        if (SecurityLog.IsRefusal(status)) securityLog.Refused(context, status, reason);
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new { error = reason }, ErrorJson);
    }

    /// <summary>Reasons are read by people: quotes and backticks as they are, not as \u0027.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions ErrorJson = new(CloudApi.Json)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _store.Dispose();
        _key.Dispose();
        _securityLog.Dispose();
        _serverCertificate.Dispose();
    }
}

public sealed record GroupAssignment(string? Group);

public sealed record GroupTarget(string PlatformId, long? TargetVersion);
