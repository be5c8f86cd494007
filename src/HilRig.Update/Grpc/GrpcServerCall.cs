using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace HilRig.Update.Grpc;

/// <summary>
/// The server side of one bidirectional-streaming call on Kestrel. Response headers go out with the first
/// message (or an explicit <see cref="StartAsync"/>), so a call that fails before answering ends trailers-only.
/// </summary>
public sealed class GrpcServerCall<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    private readonly HttpContext _context;
    private readonly GrpcMessageWriter<TResponse> _writer;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private bool _started;

    internal GrpcServerCall(HttpContext context, MessageParser<TRequest> parser, int maxMessageSize)
    {
        _context = context;
        Requests = new GrpcMessageReader<TRequest>(context.Request.BodyReader, parser, maxMessageSize);
        _writer = new GrpcMessageWriter<TResponse>(context.Response.BodyWriter);
    }

    public GrpcMessageReader<TRequest> Requests { get; }

    public CancellationToken CallAborted => _context.RequestAborted;

    public string Peer => $"{_context.Connection.RemoteIpAddress}:{_context.Connection.RemotePort}";

    public ValueTask<TRequest?> ReadAsync(CancellationToken ct = default) => Requests.ReadAsync(ct);

    public async ValueTask WriteAsync(TResponse message, CancellationToken ct = default)
    {
        await StartAsync(ct);
        await _writer.WriteAsync(message, ct);
    }

    /// <summary>Sends the response headers now. Kestrel holds HEADERS back until the body is flushed (platform-dotnet.md §4, gotcha 2).</summary>
    public async ValueTask StartAsync(CancellationToken ct = default)
    {
        if (_started) return;
        await _startLock.WaitAsync(ct);
        try
        {
            if (_started) return;
            await _context.Response.StartAsync(ct);
            await _context.Response.BodyWriter.FlushAsync(ct);
            _started = true;
        }
        finally { _startLock.Release(); }
    }
}
