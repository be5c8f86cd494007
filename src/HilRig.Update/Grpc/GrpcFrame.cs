using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace HilRig.Update.Grpc;

/// <summary>
/// The length-prefixed message of gRPC (PROTOCOL-HTTP2.md):
/// <code>
/// Length-Prefixed-Message → Compressed-Flag Message-Length Message
/// Compressed-Flag → 0 / 1        ; 1 byte
/// Message-Length  → {length}     ; 4 bytes, big-endian
/// </code>
/// </summary>
public static class GrpcFrame
{
    public const int HeaderSize = 5;

    /// <summary>4 MiB, the receive limit gRPC implementations use by default.</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    public static void Write(IBufferWriter<byte> output, IMessage message)
    {
        var length = message.CalculateSize();
        var span = output.GetSpan(HeaderSize + length);
        span[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..HeaderSize], (uint)length);
        message.WriteTo(span.Slice(HeaderSize, length));
        output.Advance(HeaderSize + length);
    }

    public static byte[] ToArray(IMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Takes one message off the front of <paramref name="buffer"/>. False: more bytes are needed. Throws
    /// <see cref="GrpcStatusException"/> for a compressed message (no grpc-encoding was negotiated) or one above the limit.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < HeaderSize) return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var compressed = header[0];
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (compressed > 1)
            throw new GrpcStatusException(GrpcStatusCode.Internal, $"message prefix has compressed-flag {compressed}, not 0 or 1");
        if (compressed == 1)
            throw new GrpcStatusException(GrpcStatusCode.Internal, "compressed message received but no grpc-encoding was negotiated");
        if (length > maxMessageSize)
            throw new GrpcStatusException(GrpcStatusCode.ResourceExhausted, $"message of {length} bytes is above the limit of {maxMessageSize}");
        if (buffer.Length < HeaderSize + length) return false;
        message = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(HeaderSize + length);
        return true;
    }
}
