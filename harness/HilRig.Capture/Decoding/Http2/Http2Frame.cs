using System.Buffers.Binary;

namespace HilRig.Capture.Decoding.Http2;

/// <summary>Frame types (RFC 9113 §6).</summary>
public enum Http2FrameType : byte
{
    DATA = 0,
    HEADERS = 1,
    PRIORITY = 2,
    RST_STREAM = 3,
    SETTINGS = 4,
    PUSH_PROMISE = 5,
    PING = 6,
    GOAWAY = 7,
    WINDOW_UPDATE = 8,
    CONTINUATION = 9,
}

/// <summary>Flag bits (RFC 9113 §6); meanings depend on the frame type.</summary>
public static class Http2Flags
{
    public const byte EndStream = 0x1;
    public const byte Ack = 0x1;
    public const byte EndHeaders = 0x4;
    public const byte Padded = 0x8;
    public const byte Priority = 0x20;
}

/// <summary>
/// An HTTP/2 frame header (RFC 9113 §4.1).
/// <code>
/// +-----------------------------------------------+
/// |                 Length (24)                   |
/// +---------------+---------------+---------------+
/// |   Type (8)    |   Flags (8)   |
/// +-+-------------+---------------+-------------------------------+
/// |R|                 Stream Identifier (31)                      |
/// +=+=============================================================+
/// |                   Frame Payload (0...)                      ...
/// +---------------------------------------------------------------+
/// </code>
/// </summary>
public readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, byte Flags, uint StreamId)
{
    public const int HeaderLength = 9;

    /// <summary>2^24−1: the largest SETTINGS_MAX_FRAME_SIZE a peer may announce (§6.5.2).</summary>
    public const int MaxFrameSize = (1 << 24) - 1;

    public bool HasFlag(byte flag) => (Flags & flag) != 0;
}

/// <summary>
/// Reads HTTP/2 frames from a byte stream: false = need more bytes, exception = a connection error the
/// RFC names, carrying the offset of the frame within the stream.
/// </summary>
public static class Http2FrameReader
{
    /// <summary>The client connection preface (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    private const int LengthOffset = 0;
    private const int TypeOffset = 3;
    private const int FlagsOffset = 4;
    private const int StreamIdOffset = 5;

    public static bool TryReadFrame(ReadOnlySpan<byte> buffer, int maxFrameSize, long streamOffset, out Http2FrameHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        if (buffer.Length < Http2FrameHeader.HeaderLength) return false;
        var length = (buffer[LengthOffset] << 16) | (buffer[LengthOffset + 1] << 8) | buffer[LengthOffset + 2];
        var type = (Http2FrameType)buffer[TypeOffset];
        var flags = buffer[FlagsOffset];
        var stream = BinaryPrimitives.ReadUInt32BigEndian(buffer[StreamIdOffset..]) & 0x7FFF_FFFF;
        // §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds the size defined in SETTINGS_MAX_FRAME_SIZE".
        if (length > maxFrameSize)
            throw new ProtocolViolationException("http2", $"FRAME_SIZE_ERROR: {type} frame of {length} bytes exceeds the maximum {maxFrameSize}", streamOffset);
        switch (type)
        {
            // §6.1, §6.2, §6.10: these frames MUST be associated with a stream.
            case Http2FrameType.DATA or Http2FrameType.HEADERS or Http2FrameType.CONTINUATION or Http2FrameType.RST_STREAM or Http2FrameType.PRIORITY
                when stream == 0:
                throw new ProtocolViolationException("http2", $"PROTOCOL_ERROR: {type} frame on stream 0", streamOffset + StreamIdOffset);
            // §6.5, §6.7, §6.8: connection-level frames MUST use stream 0.
            case Http2FrameType.SETTINGS or Http2FrameType.PING or Http2FrameType.GOAWAY when stream != 0:
                throw new ProtocolViolationException("http2", $"PROTOCOL_ERROR: {type} frame on stream {stream}", streamOffset + StreamIdOffset);
            case Http2FrameType.SETTINGS when length % 6 != 0:
                throw new ProtocolViolationException("http2", $"FRAME_SIZE_ERROR: SETTINGS length {length} is not a multiple of 6", streamOffset);
            case Http2FrameType.PING when length != 8:
                throw new ProtocolViolationException("http2", $"FRAME_SIZE_ERROR: PING length {length} is not 8", streamOffset);
            case Http2FrameType.WINDOW_UPDATE or Http2FrameType.RST_STREAM when length != 4:
                throw new ProtocolViolationException("http2", $"FRAME_SIZE_ERROR: {type} length {length} is not 4", streamOffset);
        }
        if (buffer.Length < Http2FrameHeader.HeaderLength + length) return false;
        header = new Http2FrameHeader(length, type, flags, stream);
        consumed = Http2FrameHeader.HeaderLength + length;
        return true;
    }

    /// <summary>
    /// The payload without padding (§6.1 DATA, §6.2 HEADERS: Pad Length (8) when PADDED; HEADERS also
    /// Exclusive/Stream Dependency (32) and Weight (8) when PRIORITY).
    /// </summary>
    public static ReadOnlySpan<byte> Unpad(Http2FrameHeader header, ReadOnlySpan<byte> payload, long offset)
    {
        var start = 0;
        var end = payload.Length;
        if (header.HasFlag(Http2Flags.Padded) && header.Type is Http2FrameType.DATA or Http2FrameType.HEADERS or Http2FrameType.PUSH_PROMISE)
        {
            if (payload.Length < 1) throw new ProtocolViolationException("http2", "PADDED frame without a Pad Length", offset);
            var pad = payload[0];
            start = 1;
            if (pad >= payload.Length) throw new ProtocolViolationException("http2", $"PROTOCOL_ERROR: padding {pad} is not less than the payload length {payload.Length}", offset);
            end -= pad;
        }
        if (header.Type == Http2FrameType.HEADERS && header.HasFlag(Http2Flags.Priority))
        {
            if (end - start < 5) throw new ProtocolViolationException("http2", "HEADERS with PRIORITY is shorter than 5 bytes", offset);
            start += 5;
        }
        if (header.Type == Http2FrameType.PUSH_PROMISE)
        {
            if (end - start < 4) throw new ProtocolViolationException("http2", "PUSH_PROMISE is shorter than its promised stream id", offset);
            start += 4;
        }
        return payload[start..end];
    }
}
