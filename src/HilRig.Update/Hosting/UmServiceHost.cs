using System.Net;
using HilRig.Update.Cm;
using HilRig.Update.Grpc;
using HilRig.Update.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Hosting;

/// <summary>
/// The CM's RegisterUM endpoint: <see cref="UmService"/> on Grpc.AspNetCore over Kestrel HTTP/2, with the link's message
/// size limit and keep-alive pings. With <see cref="NodeCredentials"/> the channel is mutual TLS 1.3 (<see cref="NodeTls"/>).
/// Without them it is cleartext h2c, which any peer that reaches the port can use: for tests and benchmarks only.
/// </summary>
public static class UmServiceHost
{
    public static Task<KestrelHost> StartAsync(IPEndPoint endpoint, UmRegistry registry, GrpcLinkOptions options, TimeProvider time,
        ILogger? log = null, CancellationToken ct = default, NodeCredentials? credentials = null) =>
        KestrelHost.StartAsync(endpoint, HttpProtocols.Http2,
            app => app.MapGrpcService<UmService>(),
            maxRequestBodySize: null, // a RegisterUM stream lives as long as its UM (platform-dotnet.md §4, gotcha 6)
            ct: ct,
            build: builder =>
            {
                builder.WebHost.ConfigureKestrel(kestrel =>
                {
                    kestrel.Limits.Http2.KeepAlivePingDelay = options.KeepAlivePingDelay;
                    kestrel.Limits.Http2.KeepAlivePingTimeout = options.KeepAlivePingTimeout;
                });
                builder.Services.AddGrpc(grpc =>
                {
                    grpc.MaxReceiveMessageSize = options.MaxMessageSize;
                    grpc.MaxSendMessageSize = options.MaxMessageSize;
                });
                builder.Services.AddSingleton(provider => new UmService(registry, options, time, log)
                {
                    Stopping = provider.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping,
                    RequireNodeIdentity = credentials is not null,
                });
            },
            listen: credentials is null ? null : listen => listen.UseHttps(https => NodeTls.Configure(https, credentials, (peer, reason) => registry.Refused(peer, null, reason), time, log, "RegisterUM")));
}
