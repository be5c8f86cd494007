using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace HilRig.Update.Grpc;

/// <summary>
/// The client side of one bidirectional-streaming call over HttpClient HTTP/2 cleartext. Write the first message
/// before reading: HttpClient holds the request HEADERS back until the body is written, and a grpc-js server sends
/// its headers only with its first reply (platform-dotnet.md §4, gotcha 3).
/// </summary>
public sealed class GrpcClientCall<TRequest, TResponse> : IAsyncDisposable
    where TRequest : IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly DuplexRequestContent _content = new();
    private readonly CancellationTokenSource _cts;
    private readonly Task<HttpResponseMessage> _response;
    private readonly MessageParser<TResponse> _parser;
    private readonly int _maxMessageSize;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private PipeWriter? _requestWriter;
    private GrpcMessageReader<TResponse>? _reader;
    private HttpResponseMessage? _responseMessage;
    private bool _requestCompleted;

    internal GrpcClientCall(HttpClient http, Uri address, string path, MessageParser<TResponse> parser, int maxMessageSize, CancellationToken ct)
    {
        _parser = parser;
        _maxMessageSize = maxMessageSize;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path))
        {
            // Set on the message itself: HttpClient's defaults do not apply to a hand-built request (gotcha 1).
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = _content,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue(GrpcHeaders.Trailers));
        _response = http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _cts.Token);
        _ = _response.ContinueWith(t => _content.Fail(t.Exception?.InnerException ?? new OperationCanceledException()),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>The status once the call has ended; null while it runs.</summary>
    public GrpcStatusException? Status { get; private set; }

    public async ValueTask WriteAsync(TRequest message, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            if (_requestCompleted) throw new InvalidOperationException("the request stream was completed");
            var writer = await RequestWriterAsync(ct);
            GrpcFrame.Write(writer, message);
            await writer.FlushAsync(ct);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException)
        {
            throw await StatusAfterFailureAsync(e);
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Writes raw bytes on the request stream: for tests of what a server does with garbage.</summary>
    public async ValueTask WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            var writer = await RequestWriterAsync(ct);
            await writer.WriteAsync(bytes, ct);
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Half-closes: the server sees the end of the request stream.</summary>
    public async ValueTask CompleteRequestAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            if (_requestCompleted) return;
            _requestCompleted = true;
            if (_requestWriter is not null) await _requestWriter.FlushAsync();
            _content.Complete();
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>The next message; null when the server ended the call with OK; a <see cref="GrpcStatusException"/> for any other status.</summary>
    public async ValueTask<TResponse?> ReadAsync(CancellationToken ct = default)
    {
        if (Status is not null) return Status.Code == GrpcStatusCode.Ok ? null : throw Status;
        if (_reader is null)
        {
            var response = await ResponseAsync();
            if (TryStatusFrom(response.Headers) is { } trailersOnly) return End(trailersOnly);
            if (response.StatusCode != HttpStatusCode.OK)
                return End(new GrpcStatusException(FromHttp(response.StatusCode), $"HTTP {(int)response.StatusCode} without grpc-status"));
            if (!GrpcHeaders.IsGrpcContentType(response.Content.Headers.ContentType?.MediaType))
                return End(new GrpcStatusException(GrpcStatusCode.Unknown, $"response content-type '{response.Content.Headers.ContentType}' is not gRPC"));
            var stream = await response.Content.ReadAsStreamAsync(ct);
            _reader = new GrpcMessageReader<TResponse>(PipeReader.Create(stream), _parser, _maxMessageSize);
        }
        TResponse? message;
        try
        {
            message = await _reader.ReadAsync(ct);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return End(await StatusAfterFailureAsync(e));
        }
        if (message is not null) return message;
        return End(TryStatusFrom(_responseMessage!.TrailingHeaders)
                   ?? new GrpcStatusException(GrpcStatusCode.Internal, "the response ended without grpc-status"));
    }

    public async ValueTask DisposeAsync()
    {
        _content.Complete();
        await _cts.CancelAsync();
        _responseMessage?.Dispose();
        _cts.Dispose();
    }

    private TResponse? End(GrpcStatusException status)
    {
        Status = status;
        return status.Code == GrpcStatusCode.Ok ? null : throw status;
    }

    private async ValueTask<PipeWriter> RequestWriterAsync(CancellationToken ct) =>
        _requestWriter ??= PipeWriter.Create(await _content.Stream.WaitAsync(ct), new StreamPipeWriterOptions(leaveOpen: true));

    private async Task<HttpResponseMessage> ResponseAsync()
    {
        try { return _responseMessage ??= await _response; }
        catch (HttpRequestException e)
        {
            Status = new GrpcStatusException(GrpcStatusCode.Unavailable, $"cannot reach the server ({e.Message})", e);
            throw Status;
        }
    }

    /// <summary>A write or read failed: the server may already have ended the call with a status that says why.</summary>
    private async Task<GrpcStatusException> StatusAfterFailureAsync(Exception e)
    {
        if (Status is not null) return Status;
        try
        {
            var response = await _response.WaitAsync(TimeSpan.FromSeconds(5));
            _responseMessage ??= response;
            var status = TryStatusFrom(response.Headers) ?? TryStatusFrom(response.TrailingHeaders);
            if (status is not null) return Status = status;
        }
        catch (Exception) { }
        return Status = new GrpcStatusException(GrpcStatusCode.Unavailable, $"the stream broke ({e.Message})", e);
    }

    private static GrpcStatusException? TryStatusFrom(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcHeaders.Status, out var values)) return null;
        var text = values.FirstOrDefault();
        if (!int.TryParse(text, out var code))
            return new GrpcStatusException(GrpcStatusCode.Unknown, $"grpc-status '{text}' is not a number");
        var message = headers.TryGetValues(GrpcHeaders.Message, out var m) ? GrpcMessageEncoding.Decode(m.First()) : "";
        return new GrpcStatusException((GrpcStatusCode)code, message);
    }

    /// <summary>HTTP status to gRPC code (grpc/doc/http-grpc-status-mapping.md).</summary>
    private static GrpcStatusCode FromHttp(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
        HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
        HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };
}
