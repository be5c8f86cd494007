using System.Buffers.Binary;
using HilRig.Capture.Decoding.Grpc;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Http2;

/// <summary>
/// Decodes both directions of one HTTP/2 connection from reassembled TCP bytes: frames, HPACK header
/// blocks (with each direction's dynamic table), and gRPC length-prefixed messages on streams whose
/// content-type is application/grpc. A protocol violation stops decoding of that direction and is
/// reported once as a <see cref="MalformedEvent"/> with the stream offset.
/// What a connection may cost is bounded: a stream is forgotten once both sides ended it (or it was reset), at most
/// <see cref="MaxTrackedStreams"/> are kept (the oldest go first), and a gRPC message longer than
/// <see cref="MaxGrpcMessageLength"/>, or one that would take the connection's buffered bytes past
/// <see cref="MaxBufferedGrpcBytes"/>, is reported with its length and skipped, not buffered.
/// </summary>
internal sealed class Http2ConnectionDecoder(GrpcMessageRegistry registry) : Streams.ITcpStreamDecoder
{
    /// <summary>Streams remembered at once; far above any SETTINGS_MAX_CONCURRENT_STREAMS a peer of ours grants.</summary>
    public const int MaxTrackedStreams = 1024;

    /// <summary>The largest gRPC message decoded: gRPC's usual receive limit (4 MiB in grpc-dotnet and grpc-js).</summary>
    public const int MaxGrpcMessageLength = 4 * 1024 * 1024;

    /// <summary>gRPC message bytes buffered across all streams of one connection.</summary>
    public const int MaxBufferedGrpcBytes = 32 * 1024 * 1024;

    private readonly Side _client = new(isClient: true);
    private readonly Side _server = new(isClient: false);
    private readonly Dictionary<uint, StreamState> _streams = new();
    private long _bufferedGrpcBytes;

    internal int TrackedStreams => _streams.Count;

    internal long BufferedGrpcBytes => _bufferedGrpcBytes;

    public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
    {
        var side = fromClient ? _client : _server;
        if (side.Broken) return;
        side.Bytes.Append(bytes);
        try
        {
            if (side.IsClient && !side.PrefaceChecked)
            {
                var preface = Http2FrameReader.ClientPreface;
                var have = side.Bytes.Span;
                var n = Math.Min(have.Length, preface.Length);
                if (!have[..n].SequenceEqual(preface[..n]))
                {
                    // The capture began after the preface: the SETTINGS that raised frame sizes were not seen either.
                    side.PrefaceChecked = true;
                    _client.MaxFrameSize = _server.MaxFrameSize = Http2FrameHeader.MaxFrameSize;
                }
                else if (have.Length < preface.Length) return;
                else
                {
                    side.Bytes.Consume(preface.Length);
                    side.PrefaceChecked = true;
                }
            }
            var peer = fromClient ? _server : _client;
            while (Http2FrameReader.TryReadFrame(side.Bytes.Span, side.MaxFrameSize, side.Bytes.Offset, out var header, out var consumed))
            {
                var payload = side.Bytes.Span.Slice(Http2FrameHeader.HeaderLength, header.Length);
                OnFrame(side, peer, header, payload, side.Bytes.Offset, context, output);
                side.Bytes.Consume(consumed);
            }
        }
        catch (ProtocolViolationException e)
        {
            side.Broken = true;
            output.Add(new MalformedEvent(context, e.Protocol, e.Reason, e.Offset));
        }
    }

    /// <summary>
    /// The capture lost bytes of one direction: frame boundaries and HPACK state after them are unknowable, so that
    /// direction stops here (the gap itself is reported by TCP); the other direction goes on.
    /// </summary>
    public void OnGap(bool fromClient)
    {
        var side = fromClient ? _client : _server;
        side.Broken = true;
        side.Bytes.Clear();
    }

    private void OnFrame(Side side, Side peer, Http2FrameHeader header, ReadOnlySpan<byte> payload, long offset, in FrameContext context, List<DecodedEvent> output)
    {
        // §6.10: a header block in progress may only be continued by CONTINUATION frames of the same stream.
        if (side.PendingStream != 0 && (header.Type != Http2FrameType.CONTINUATION || header.StreamId != side.PendingStream))
            throw new ProtocolViolationException("http2", $"PROTOCOL_ERROR: {header.Type} on stream {header.StreamId} while the header block of stream {side.PendingStream} is open", offset);
        switch (header.Type)
        {
            case Http2FrameType.HEADERS or Http2FrameType.PUSH_PROMISE:
            {
                var fragment = Http2FrameReader.Unpad(header, payload, offset);
                side.PendingBlock.Clear();
                side.PendingBlock.AddRange(fragment);
                side.PendingHeader = header;
                if (header.HasFlag(Http2Flags.EndHeaders)) FinishHeaders(side, header, offset, context, output);
                else
                {
                    side.PendingStream = header.StreamId;
                    output.Add(new Http2Event(context, header, null, null));
                }
                break;
            }
            case Http2FrameType.CONTINUATION:
                if (side.PendingStream == 0)
                    throw new ProtocolViolationException("http2", $"PROTOCOL_ERROR: CONTINUATION on stream {header.StreamId} without an open header block", offset);
                side.PendingBlock.AddRange(payload);
                if (header.HasFlag(Http2Flags.EndHeaders))
                {
                    side.PendingStream = 0;
                    FinishHeaders(side, header, offset, context, output);
                }
                else output.Add(new Http2Event(context, header, null, null));
                break;
            case Http2FrameType.DATA:
            {
                var data = Http2FrameReader.Unpad(header, payload, offset);
                output.Add(new Http2Event(context, header, null, null));
                if (_streams.TryGetValue(header.StreamId, out var stream))
                {
                    if (stream.IsGrpc) ReadGrpcMessages(stream, side.IsClient, data, header.StreamId, context, output);
                    if (header.HasFlag(Http2Flags.EndStream)) EndStream(stream, side.IsClient, header.StreamId);
                }
                break;
            }
            case Http2FrameType.SETTINGS:
            {
                var settings = new List<string>();
                for (var i = 0; i + 6 <= payload.Length; i += 6)
                {
                    var id = BinaryPrimitives.ReadUInt16BigEndian(payload[i..]);
                    var value = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]);
                    settings.Add($"{SettingName(id)}={value}");
                    // A peer's settings govern what the other side sends to it.
                    if (id == 1) peer.Hpack.SettingsMaxSize = (int)Math.Min(value, int.MaxValue);
                    if (id == 5 && value is >= 16384 and <= Http2FrameHeader.MaxFrameSize) peer.MaxFrameSize = (int)value;
                }
                output.Add(new Http2Event(context, header, null, header.HasFlag(Http2Flags.Ack) ? "ACK" : string.Join(" ", settings)));
                break;
            }
            case Http2FrameType.RST_STREAM:
                output.Add(new Http2Event(context, header, null, $"error={ErrorName(BinaryPrimitives.ReadUInt32BigEndian(payload))}"));
                if (_streams.TryGetValue(header.StreamId, out var reset)) Forget(header.StreamId, reset);
                break;
            case Http2FrameType.GOAWAY:
                output.Add(new Http2Event(context, header, null, payload.Length >= 8
                    ? $"last_stream={BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF} error={ErrorName(BinaryPrimitives.ReadUInt32BigEndian(payload[4..]))}"
                    : "short GOAWAY"));
                break;
            case Http2FrameType.WINDOW_UPDATE:
                output.Add(new Http2Event(context, header, null, $"increment={BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF}"));
                break;
            case Http2FrameType.PING:
                output.Add(new Http2Event(context, header, null, $"{(header.HasFlag(Http2Flags.Ack) ? "ACK " : "")}{Convert.ToHexString(payload).ToLowerInvariant()}"));
                break;
            default:
                output.Add(new Http2Event(context, header, null, null));
                break;
        }
    }

    private void FinishHeaders(Side side, Http2FrameHeader header, long offset, in FrameContext context, List<DecodedEvent> output)
    {
        var fields = new List<HeaderField>();
        side.Hpack.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(side.PendingBlock), fields);
        var first = side.PendingHeader;
        if (first.Type == Http2FrameType.HEADERS)
        {
            if (!_streams.TryGetValue(first.StreamId, out var stream))
            {
                if (_streams.Count >= MaxTrackedStreams)
                {
                    var oldest = _streams.Keys.Min();
                    Forget(oldest, _streams[oldest]);
                }
                _streams[first.StreamId] = stream = new StreamState();
            }
            foreach (var f in fields)
            {
                if (f.Name == ":path" && side.IsClient) stream.Path = f.Value;
                if (f.Name == "content-type" && f.Value.StartsWith("application/grpc", StringComparison.Ordinal)) stream.IsGrpc = true;
            }
            output.Add(new Http2Event(context, header, fields, null));
            // END_STREAM rides on the first frame of the block (HEADERS), not on its CONTINUATIONs.
            if (first.HasFlag(Http2Flags.EndStream)) EndStream(stream, side.IsClient, first.StreamId);
            return;
        }
        output.Add(new Http2Event(context, header, fields, null));
    }

    private void EndStream(StreamState stream, bool fromClient, uint streamId)
    {
        (fromClient ? stream.Request : stream.Response).Ended = true;
        if (stream.Request.Ended && stream.Response.Ended) Forget(streamId, stream);
    }

    private void Forget(uint streamId, StreamState stream)
    {
        _bufferedGrpcBytes -= stream.Request.Bytes.Length + stream.Response.Bytes.Length;
        _streams.Remove(streamId);
    }

    /*
     * gRPC over HTTP/2 Length-Prefixed-Message:
     *   Compressed-Flag (1 byte) | Message-Length (4 bytes, big-endian) | Message
     */
    private void ReadGrpcMessages(StreamState stream, bool request, ReadOnlySpan<byte> data, uint streamId, in FrameContext context, List<DecodedEvent> output)
    {
        var half = request ? stream.Request : stream.Response;
        if (half.Skip > 0)
        {
            var skipped = (int)Math.Min(half.Skip, data.Length);
            half.Skip -= skipped;
            data = data[skipped..];
            if (data.IsEmpty) return;
        }
        var queue = half.Bytes;
        var before = queue.Length;
        queue.Append(data);
        try
        {
            while (queue.Length >= 5)
            {
                var span = queue.Span;
                var compressed = span[0];
                if (compressed > 1)
                    throw new ProtocolViolationException("grpc", $"compressed flag {compressed} on stream {streamId} is neither 0 nor 1", queue.Offset);
                var length = BinaryPrimitives.ReadUInt32BigEndian(span[1..]);
                if (length > 64 * 1024 * 1024)
                    throw new ProtocolViolationException("grpc", $"message length {length} on stream {streamId} is implausible", queue.Offset + 1);
                var whole = 5 + (int)length;
                var tooLong = length > MaxGrpcMessageLength;
                var overBudget = queue.Length < whole && _bufferedGrpcBytes - before + whole > MaxBufferedGrpcBytes;
                if (tooLong || overBudget)
                {
                    output.Add(new GrpcEvent(context, stream.Path, streamId, request ? GrpcDirection.Request : GrpcDirection.Response,
                        compressed == 1, (int)length, null,
                        tooLong ? $"not decoded: longer than the decoder's {MaxGrpcMessageLength} byte limit"
                            : $"not decoded: the connection's buffered gRPC bytes would pass {MaxBufferedGrpcBytes}"));
                    var have = Math.Min(queue.Length, whole);
                    queue.Consume(have);
                    half.Skip = whole - have;
                    continue;
                }
                if (queue.Length < whole) break;
                var body = span.Slice(5, (int)length);
                Google.Protobuf.IMessage? message = null;
                string? description = null;
                if (compressed == 0)
                {
                    var parser = registry.Find(stream.Path, request);
                    try
                    {
                        if (parser is not null) message = parser.ParseFrom(body.ToArray());
                        else description = ProtobufWire.Describe(body);
                    }
                    catch (Exception e) when (e is Google.Protobuf.InvalidProtocolBufferException or ProtocolViolationException)
                    {
                        description = $"undecodable as {(parser is null ? "protobuf" : "registered type")}: {e.Message}";
                    }
                }
                output.Add(new GrpcEvent(context, stream.Path, streamId, request ? GrpcDirection.Request : GrpcDirection.Response,
                    compressed == 1, (int)length, message, description));
                queue.Consume(whole);
            }
        }
        finally
        {
            _bufferedGrpcBytes += queue.Length - before;
        }
    }

    private static string SettingName(ushort id) => id switch
    {
        1 => "HEADER_TABLE_SIZE",
        2 => "ENABLE_PUSH",
        3 => "MAX_CONCURRENT_STREAMS",
        4 => "INITIAL_WINDOW_SIZE",
        5 => "MAX_FRAME_SIZE",
        6 => "MAX_HEADER_LIST_SIZE",
        8 => "ENABLE_CONNECT_PROTOCOL",
        _ => $"0x{id:x}",
    };

    private static string ErrorName(uint code) => code switch
    {
        0 => "NO_ERROR",
        1 => "PROTOCOL_ERROR",
        2 => "INTERNAL_ERROR",
        3 => "FLOW_CONTROL_ERROR",
        4 => "SETTINGS_TIMEOUT",
        5 => "STREAM_CLOSED",
        6 => "FRAME_SIZE_ERROR",
        7 => "REFUSED_STREAM",
        8 => "CANCEL",
        9 => "COMPRESSION_ERROR",
        10 => "CONNECT_ERROR",
        11 => "ENHANCE_YOUR_CALM",
        12 => "INADEQUATE_SECURITY",
        13 => "HTTP_1_1_REQUIRED",
        _ => $"0x{code:x}",
    };

    private sealed class Side(bool isClient)
    {
        public bool IsClient { get; } = isClient;
        public ByteQueue Bytes { get; } = new();
        public HpackDecoder Hpack { get; } = new();
        public List<byte> PendingBlock { get; } = new();
        public Http2FrameHeader PendingHeader { get; set; }
        public uint PendingStream { get; set; }
        public int MaxFrameSize { get; set; } = 16384;
        public bool PrefaceChecked { get; set; }
        public bool Broken { get; set; }
    }

    private sealed class StreamState
    {
        public string? Path { get; set; }
        public bool IsGrpc { get; set; }
        public HalfStream Request { get; } = new();
        public HalfStream Response { get; } = new();
    }

    /// <summary>One direction of a stream: gRPC bytes waiting for the rest of their message, or how many to skip.</summary>
    private sealed class HalfStream
    {
        public ByteQueue Bytes { get; } = new();
        public long Skip { get; set; }
        public bool Ended { get; set; }
    }
}
