using System.Net;
using System.Security.Cryptography;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Hosting;

/// <summary>
/// A main node's Communication Manager as a running thing: the RegisterUM endpoint (Grpc.AspNetCore), the file server
/// when images are served over HTTP, the resumption of a persisted update, and a check-in every
/// <see cref="CheckInPeriod"/> (never, if zero: then only on demand). What HilRig.Device runs on a main node.
/// </summary>
public sealed class CmRuntime : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http;
    private readonly KestrelHost _grpc;
    private readonly KestrelHost? _files;
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private Task _loop = Task.CompletedTask;

    private CmRuntime(CommunicationManager manager, HttpClient http, KestrelHost grpc, KestrelHost? files, TimeSpan period, TimeProvider time, ILogger? log)
    {
        Manager = manager;
        _http = http;
        _grpc = grpc;
        _files = files;
        CheckInPeriod = period;
        _time = time;
        _log = log;
    }

    public CommunicationManager Manager { get; }
    public Uri GrpcAddress => _grpc.Address;
    public Uri? FileServerAddress => _files?.Address;
    public TimeSpan CheckInPeriod { get; }

    /// <summary>Completes once a persisted update was finished after start (null outcome: there was none).</summary>
    public Task<UpdateOutcome?> Resumption => _resumption.Task;
    private readonly TaskCompletionSource<UpdateOutcome?> _resumption = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The last check-in's result (or resumed update), for the shell and scenarios.</summary>
    public CheckInResult? LastResult { get; private set; }

    /// <summary>An error that ended the last check-in without a result (cloud unreachable, …).</summary>
    public string? LastError { get; private set; }

    /// <summary>
    /// Starts the CM. It reaches the cloud over HTTPS with <paramref name="credentials"/> (which must name the unit the
    /// config does); <paramref name="interceptCloud"/> may wrap that handler, as a man in the middle does in tests.
    /// </summary>
    public static async Task<CmRuntime> StartAsync(
        CmConfig config, TrustStore trust, ECDiffieHellman unitKey, UnitCredentials credentials, IPEndPoint grpcEndpoint, IPEndPoint? fileServerEndpoint,
        TimeSpan checkInPeriod, TimeProvider time, ILogger? log = null, Func<HttpMessageHandler, HttpMessageHandler>? interceptCloud = null, CancellationToken ct = default)
    {
        if (credentials.UnitId != config.UnitId)
            throw new UnitCredentialsException($"the unit certificate is for unit '{credentials.UnitId}', but this CM is unit '{config.UnitId}': the cloud would refuse every check-in");
        KestrelHost? files = null;
        HttpClient? http = null;
        CommunicationManager? manager = null;
        KestrelHost grpc;
        try
        {
            if (config.Deployment == ImageDeployment.HttpFileServer)
            {
                // Where the CM serves its UMs, the file server serves them too (by default beside it, any port), and it
                // names itself by the address they reach the CM at, not by the one it is bound to.
                // Decrypted images: only the unit's nodes may fetch them, over the same mutual TLS as RegisterUM.
                files = await KestrelHost.StartAsync(fileServerEndpoint ?? new IPEndPoint(grpcEndpoint.Address, 0), HttpProtocols.Http1AndHttp2,
                    app =>
                    {
                        var serve = CmFileServer.Create(config.ImageDirectory);
                        app.Run(context =>
                        {
                            if (!NodeTls.IsRefusedWithoutCertificate(context, (peer, reason) => manager?.Registry.Refused(peer, null, reason), "file server")) return serve(context);
                            context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status401Unauthorized;
                            return Task.CompletedTask;
                        });
                    }, maxRequestBodySize: 0, ct: ct,
                    listen: config.Credentials is not { } node ? null : l => l.UseHttps(https => NodeTls.Configure(https, node, (peer, reason) => manager?.Registry.Refused(peer, null, reason), time, log, "file server")));
                var advertised = config.AdvertisedHost is { } host ? new UriBuilder(files.Address) { Host = host }.Uri : files.Address;
                config = config with { FileServerUrl = config.FileServerUrl ?? advertised };
            }
            var tls = credentials.CreateHandler();
            http = new HttpClient(interceptCloud is null ? tls : interceptCloud(tls));
            http.Timeout = TimeSpan.FromMinutes(2);
            var m = manager = new CommunicationManager(config, trust, unitKey, http, time, log);
            grpc = await UmServiceHost.StartAsync(grpcEndpoint, m.Registry, config.Link, time, log, ct, config.Credentials);
        }
        catch
        {
            // What started before the failure (a listener, the open database) must not outlive it.
            manager?.Dispose();
            http?.Dispose();
            if (files is not null) await files.DisposeAsync();
            throw;
        }
        var runtime = new CmRuntime(manager, http, grpc, files, checkInPeriod, time, log);
        runtime._loop = Task.Run(() => runtime.RunAsync(runtime._stop.Token), CancellationToken.None);
        return runtime;
    }

    /// <summary>Checks in now (the shell's <c>cm checkin</c>, a scenario's manual step), serialised with the periodic loop.</summary>
    public async Task<CheckInResult> CheckInNowAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        try
        {
            var result = await Manager.CheckInAsync(linked.Token);
            LastResult = result;
            LastError = null;
            return result;
        }
        catch (Exception e) when (!IsStopping(e, linked.Token))
        {
            LastError = e.Message;
            throw;
        }
    }

    /// <summary>
    /// Resumes a persisted update, then checks in every period. A check-in that fails in any way (cloud unreachable, a
    /// revert still pending, an answer that does not parse) is logged and kept in <see cref="LastError"/>, and the next
    /// period checks in again; only being stopped, or a CM fault point (the CM is dead), ends the loop.
    /// </summary>
    private async Task RunAsync(CancellationToken ct)
    {
        try
        {
            try
            {
                var outcome = await Manager.ResumeAsync(ct);
                if (outcome is not null) LastResult = new CheckInResult(false, "resumed after restart", outcome);
                _resumption.TrySetResult(outcome);
            }
            catch (Exception e) when (!IsStopping(e, ct))
            {
                _resumption.TrySetException(e);
                if (e is CmCrashedException) throw;
                LastError = e.Message;
                _log?.LogWarning("resuming the update failed, the next check-in tries again: {Error}", e.Message);
            }
            if (CheckInPeriod <= TimeSpan.Zero) return;
            using var timer = new PeriodicTimer(CheckInPeriod, _time);
            do
            {
                try { await CheckInNowAsync(ct); }
                catch (Exception e) when (e is not CmCrashedException && !IsStopping(e, ct))
                {
                    _log?.LogWarning("check-in failed: {Error}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { _resumption.TrySetCanceled(); }
        catch (CmCrashedException e)
        {
            LastError = e.Message;
            _log?.LogError("{Error}", e.Message);
        }
    }

    private static bool IsStopping(Exception e, CancellationToken ct) => e is OperationCanceledException && ct.IsCancellationRequested;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        await _grpc.DisposeAsync();
        if (_files is not null) await _files.DisposeAsync();
        Manager.Dispose();
        _http.Dispose();
        _stop.Dispose();
    }
}
