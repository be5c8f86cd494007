using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Hosting;

/// <summary>
/// One Kestrel listener running one request delegate — the CM's gRPC endpoint (HTTP/2 cleartext only, so h2c
/// with prior knowledge works) and its file server — or one mapped application: the cloud (HTTP/1.1 and HTTP/2).
/// Port 0 picks a free port; <see cref="Address"/> says which, as an address a client can dial.
/// </summary>
public sealed class KestrelHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KestrelHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public int Port => Address.Port;

    /// <summary>One request delegate for every request (the CM's gRPC endpoint and file server).</summary>
    public static Task<KestrelHost> StartAsync(IPEndPoint endpoint, HttpProtocols protocols, RequestDelegate handler, Action<ILoggingBuilder>? logging = null, CancellationToken ct = default) =>
        StartAsync(endpoint, protocols, app =>
        {
            var stopping = app.Lifetime.ApplicationStopping;
            // Long-lived gRPC streams would hold a stop for its whole timeout; abort them so peers reconnect at once.
            app.Run(async context =>
            {
                using var abort = stopping.Register(context.Abort);
                await handler(context);
            });
        }, maxRequestBodySize: null, logging, ct);

    /// <summary>
    /// A listener whose application <paramref name="map"/> builds (middleware, routes: the cloud, the CM's gRPC service).
    /// Request bodies are limited to <paramref name="maxRequestBodySize"/> bytes (null: unlimited). With <paramref name="https"/>
    /// the listener speaks TLS, configured by it (certificate, client certificates); <paramref name="build"/> adds services
    /// and Kestrel settings before the application is built; <paramref name="listen"/> configures the listener further.
    /// </summary>
    public static async Task<KestrelHost> StartAsync(IPEndPoint endpoint, HttpProtocols protocols, Action<WebApplication> map, long? maxRequestBodySize = null,
        Action<ILoggingBuilder>? logging = null, CancellationToken ct = default, Action<Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions>? https = null,
        Action<WebApplicationBuilder>? build = null, Action<ListenOptions>? listen = null)
    {
        // No watching of appsettings files: each watcher is an inotify instance, and Linux allows 128 per user, so a
        // fleet of 1,000 CMs (each with its own listener) failed to start at the 128th.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.WebHost.ConfigureKestrel(options =>
        {
            options.Listen(endpoint, l =>
            {
                l.Protocols = protocols;
                if (https is not null) l.UseHttps(https);
                listen?.Invoke(l);
            });
            options.AddServerHeader = false;
            options.Limits.MaxRequestBodySize = maxRequestBodySize;
            options.Limits.MinRequestBodyDataRate = null;
            options.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            options.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(10);
            // 100 UMs on one CM each hold one stream; many may share a connection in tests and benchmarks.
            options.Limits.Http2.MaxStreamsPerConnection = 1000;
        });
        build?.Invoke(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        // Kestrel reports the bound address; make it one a client can dial.
        var uri = new UriBuilder(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1")) { Path = "/" }.Uri;
        return new KestrelHost(app, uri);
    }

    public static Task<KestrelHost> StartLoopbackAsync(HttpProtocols protocols, RequestDelegate handler, CancellationToken ct = default) =>
        StartAsync(new IPEndPoint(IPAddress.Loopback, 0), protocols, handler, null, ct);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await _app.StopAsync(timeout.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}
