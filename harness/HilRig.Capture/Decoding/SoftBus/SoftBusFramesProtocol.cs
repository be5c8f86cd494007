using System.Buffers.Binary;
using System.Text.Json;
using HilRig.Capture.Decoding.Streams;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.SoftBus;

/// <summary>
/// The soft bus's TCP channels (seed 003; softbus_lite auth_conn.h, dsoftbus trans_tcp_process_data.h), recognised by
/// the client opening with the magic <c>CE FA BE BA</c>: auth frames (24-byte header: magic | module | seq | flag | len)
/// on the auth channel; on a session channel, the module-6 open request and its reply as auth frames, then session data
/// frames (16-byte header: magic | seq | flags | dataLen). Encrypted bodies are shown as such (key index, IV counter, length).
/// </summary>
public sealed class SoftBusFramesProtocol : ITcpStreamProtocol
{
    public const uint Magic = 0xBABEFACE;

    public string Name => "softbus";

    public ITcpStreamDecoder? TryClaim(in TcpStreamStart start, DecoderOptions options) =>
        start.IsClientStart && start.Bytes.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(start.Bytes) == Magic ? new Decoder() : null;

    private sealed class Decoder : ITcpStreamDecoder
    {
        private readonly Direction _client = new(), _server = new();

        public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
        {
            var d = fromClient ? _client : _server;
            if (d.Stopped) return;
            d.Buffer.Append(bytes);
            while (true)
            {
                var span = d.Buffer.Span;
                var headerSize = d.SessionData ? 16 : 24;
                if (span.Length < headerSize) return;
                var magic = BinaryPrimitives.ReadUInt32LittleEndian(span);
                if (magic != Magic)
                {
                    output.Add(new MalformedEvent(context, "softbus", $"bad magic 0x{magic:X8}", d.Buffer.Offset));
                    d.Stopped = true;
                    d.Buffer.Clear();
                    return;
                }
                var length = BinaryPrimitives.ReadUInt32LittleEndian(span[(headerSize - 4)..]);
                if (length > 1 << 21)
                {
                    output.Add(new MalformedEvent(context, "softbus", $"frame length {length} is implausible", d.Buffer.Offset + headerSize - 4));
                    d.Stopped = true;
                    d.Buffer.Clear();
                    return;
                }
                if (span.Length < headerSize + length) return;
                var body = span.Slice(headerSize, (int)length);
                if (d.SessionData)
                {
                    var seq = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
                    var ivSeq = body.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(body) : -1;
                    output.Add(new SoftBusSessionEvent(context, seq, BinaryPrimitives.ReadInt32LittleEndian(span[8..]), length, ivSeq));
                }
                else
                {
                    var module = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
                    var flag = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
                    var encrypted = module is 5 or 6 or 7;
                    var e = new SoftBusAuthEvent(context, module, BinaryPrimitives.ReadInt64LittleEndian(span[8..]), flag, length, encrypted,
                        encrypted && body.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(body) : null,
                        encrypted && body.Length >= 12 ? BinaryPrimitives.ReadInt64LittleEndian(body[4..]) : null,
                        encrypted ? null : MessageCode(body));
                    output.Add(e);
                    // A session channel: after the open request (client) and its reply (server), data frames follow.
                    if (module == 6) d.SessionData = true;
                }
                d.Buffer.Consume(headerSize + (int)length);
            }
        }

        /// <summary>The HiChain envelope's message code of a plaintext body, when it is one.</summary>
        private static int? MessageCode(ReadOnlySpan<byte> body)
        {
            try
            {
                var reader = new Utf8JsonReader(body);
                using var doc = JsonDocument.ParseValue(ref reader);
                return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.TryGetInt32(out var code) ? code : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }

        public void OnGap(bool fromClient)
        {
            var d = fromClient ? _client : _server;
            d.Stopped = true;
            d.Buffer.Clear();
        }

        private sealed class Direction
        {
            public ByteQueue Buffer { get; } = new();
            public bool SessionData { get; set; }
            public bool Stopped { get; set; }
        }
    }
}
