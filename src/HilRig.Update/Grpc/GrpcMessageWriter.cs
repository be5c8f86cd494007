using System.IO.Pipelines;
using Google.Protobuf;

namespace HilRig.Update.Grpc;

/// <summary>Writes length-prefixed protobuf messages to a pipe, one flush per message, from any number of callers.</summary>
public sealed class GrpcMessageWriter<T>(PipeWriter output) where T : IMessage<T>
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public async ValueTask WriteAsync(T message, CancellationToken ct = default)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            GrpcFrame.Write(output, message);
            var result = await output.FlushAsync(ct);
            if (result.IsCanceled || result.IsCompleted)
                throw new GrpcStatusException(GrpcStatusCode.Unavailable, "the peer closed the stream");
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
