using System.Net;

namespace HilRig.Update.Grpc;

/// <summary>
/// A request body that stays open while the call writes to it: HttpClient hands us the HTTP/2 stream in
/// <see cref="SerializeToStreamAsync(Stream, TransportContext?)"/> and the request ends (END_STREAM) when
/// <see cref="Complete"/> is called.
/// </summary>
internal sealed class DuplexRequestContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DuplexRequestContent()
    {
        Headers.TryAddWithoutValidation("Content-Type", GrpcHeaders.ContentType);
    }

    public Task<Stream> Stream => _stream.Task;

    public void Complete() => _done.TrySetResult();

    public void Fail(Exception e)
    {
        _stream.TrySetException(e);
        _done.TrySetException(e);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        _stream.TrySetResult(stream);
        return _done.Task;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        SerializeToStreamAsync(stream, context);

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
