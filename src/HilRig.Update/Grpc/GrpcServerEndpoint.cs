using Google.Protobuf;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace HilRig.Update.Grpc;

/// <summary>
/// Serves bidirectional-streaming gRPC methods on Kestrel HTTP/2 cleartext with our own framing. A handler ends
/// the call by returning (OK) or throwing <see cref="GrpcStatusException"/>; anything else is reported as Unknown.
/// The status goes in trailers, or trailers-only when nothing was sent yet.
/// </summary>
public sealed class GrpcServerEndpoint(ILogger? logger = null, int maxMessageSize = GrpcFrame.DefaultMaxMessageSize)
{
    private readonly Dictionary<string, Func<HttpContext, Task>> _methods = new(StringComparer.Ordinal);

    /// <summary>Adds <c>/package.Service/Method</c>.</summary>
    public GrpcServerEndpoint MapDuplex<TRequest, TResponse>(string path, MessageParser<TRequest> parser, Func<GrpcServerCall<TRequest, TResponse>, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        _methods[path] = context => RunAsync(context, parser, handler);
        return this;
    }

    /// <summary>Handles a request if it is gRPC; returns false for anything else so other endpoints can serve it.</summary>
    public async Task<bool> TryHandleAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !GrpcHeaders.IsGrpcContentType(context.Request.ContentType)) return false;
        if (context.Request.Protocol != "HTTP/2")
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "h2c";
            return true;
        }
        if (!_methods.TryGetValue(context.Request.Path.Value ?? "", out var method))
        {
            EndTrailersOnly(context, GrpcStatusCode.Unimplemented, $"method {context.Request.Path} is not served here");
            return true;
        }
        await method(context);
        return true;
    }

    private async Task RunAsync<TRequest, TResponse>(HttpContext context, MessageParser<TRequest> parser, Func<GrpcServerCall<TRequest, TResponse>, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : IMessage<TResponse>
    {
        // A CM↔UM stream lives as long as the UM does (platform-dotnet.md §4, gotcha 6).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = null;
        if (context.Request.Headers.TryGetValue(GrpcHeaders.Encoding, out var encoding) && encoding.ToString() is not ("" or "identity"))
        {
            EndTrailersOnly(context, GrpcStatusCode.Unimplemented, $"grpc-encoding '{encoding}' is not supported, only identity");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = GrpcHeaders.ContentType;
        var call = new GrpcServerCall<TRequest, TResponse>(context, parser, maxMessageSize);
        GrpcStatusCode code;
        string? message = null;
        try
        {
            await handler(call);
            code = GrpcStatusCode.Ok;
        }
        catch (GrpcStatusException e)
        {
            (code, message) = (e.Code, e.Detail);
            logger?.LogInformation("{Path} from {Peer} ended with {Code}: {Detail}", context.Request.Path, call.Peer, e.Code, e.Detail);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client reset the stream; there is no one to tell
        }
        catch (Exception e) when (e is IOException or ConnectionAbortedException && context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            (code, message) = (GrpcStatusCode.Unknown, e.Message);
            logger?.LogWarning(e, "{Path} from {Peer} failed", context.Request.Path, call.Peer);
        }
        if (context.Response.HasStarted)
        {
            context.Response.AppendTrailer(GrpcHeaders.Status, ((int)code).ToString());
            if (message is not null) context.Response.AppendTrailer(GrpcHeaders.Message, GrpcMessageEncoding.Encode(message));
        }
        else
        {
            EndTrailersOnly(context, code, message);
        }
    }

    /// <summary>Trailers-Only: the status in the one HEADERS frame that also ends the stream.</summary>
    private static void EndTrailersOnly(HttpContext context, GrpcStatusCode code, string? message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = GrpcHeaders.ContentType;
        context.Response.Headers[GrpcHeaders.Status] = ((int)code).ToString();
        if (message is not null) context.Response.Headers[GrpcHeaders.Message] = GrpcMessageEncoding.Encode(message);
    }
}
