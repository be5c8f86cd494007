using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace HilRig.Update.Grpc;

/// <summary>Reads length-prefixed protobuf messages from a pipe until the peer half-closes.</summary>
public sealed class GrpcMessageReader<T>(PipeReader input, MessageParser<T> parser, int maxMessageSize = GrpcFrame.DefaultMaxMessageSize)
    where T : class, IMessage<T>
{
    private long _count;

    /// <summary>The next message, or null at a clean end of stream. Garbage is a <see cref="GrpcStatusException"/> (Internal).</summary>
    public async ValueTask<T?> ReadAsync(CancellationToken ct = default)
    {
        while (true)
        {
            var result = await input.ReadAsync(ct);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            try
            {
                if (GrpcFrame.TryRead(ref buffer, maxMessageSize, out var payload))
                {
                    consumed = buffer.Start;
                    _count++;
                    try { return parser.ParseFrom(payload); }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw new GrpcStatusException(GrpcStatusCode.Internal,
                            $"message {_count} is not a valid {typeof(T).Name} ({e.Message})", e);
                    }
                }
                if (result.IsCompleted)
                {
                    if (buffer.Length == 0) return null;
                    throw new GrpcStatusException(GrpcStatusCode.Internal,
                        $"stream ended inside message {_count + 1} ({buffer.Length} bytes of a length-prefixed message)");
                }
                if (result.IsCanceled) throw new OperationCanceledException(ct);
            }
            finally
            {
                input.AdvanceTo(consumed, buffer.End);
            }
        }
    }
}
