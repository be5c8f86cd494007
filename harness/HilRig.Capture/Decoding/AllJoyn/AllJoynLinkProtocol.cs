using System.Buffers.Binary;
using System.Text;
using HilRig.Capture.Decoding.Streams;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.AllJoyn;

/// <summary>
/// An AllJoyn thin core's router link (seed 004; ajtcl aj_connect.c), recognised by the client opening with a NUL
/// and <c>AUTH </c>: SASL lines each way until the client's <c>BEGIN</c> and the router's
/// <c>INFORM_PROTO_VERSION</c>, then little-endian D-Bus messages (16-byte header, header fields padded to 8, body),
/// of which the interface and member are shown (BusHello, ProbeReq/ProbeAck for the link timeout).
/// </summary>
public sealed class AllJoynLinkProtocol : ITcpStreamProtocol
{
    private const int MaxLine = 1024;
    private const int MaxMessage = 128 * 1024;
    private static readonly byte[] Opening = "\0AUTH "u8.ToArray();

    public string Name => "alljoyn";

    public ITcpStreamDecoder? TryClaim(in TcpStreamStart start, DecoderOptions options)
    {
        if (!start.IsClientStart) return null;
        var n = Math.Min(start.Bytes.Length, Opening.Length);
        return n > 0 && start.Bytes[..n].SequenceEqual(Opening.AsSpan(0, n)) ? new Decoder() : null;
    }

    private sealed class Decoder : ITcpStreamDecoder
    {
        private readonly Direction _client = new() { ExpectNul = true }, _server = new();

        public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
        {
            var d = fromClient ? _client : _server;
            if (d.Stopped) return;
            d.Buffer.Append(bytes);
            while (!d.Stopped)
            {
                var span = d.Buffer.Span;
                if (d.ExpectNul)
                {
                    if (span.Length < 1) return;
                    output.Add(new AllJoynSaslEvent(context, "\\0", fromClient));
                    d.ExpectNul = false;
                    d.Buffer.Consume(1);
                    continue;
                }
                if (!d.Messages)
                {
                    var nl = span.IndexOf((byte)'\n');
                    if (nl < 0)
                    {
                        if (span.Length > MaxLine) Stop(d, context, output, $"SASL line longer than {MaxLine} bytes");
                        return;
                    }
                    var line = Encoding.UTF8.GetString(span[..nl]).TrimEnd('\r');
                    output.Add(new AllJoynSaslEvent(context, line, fromClient));
                    d.Buffer.Consume(nl + 1);
                    // After these lines each side speaks messages: the client's BEGIN, the router's version.
                    if (fromClient ? line.StartsWith("BEGIN", StringComparison.Ordinal) : line.StartsWith("INFORM_PROTO_VERSION", StringComparison.Ordinal))
                        d.Messages = true;
                    continue;
                }
                if (span.Length < 16) return;
                if (span[0] != 'l')
                {
                    Stop(d, context, output, $"message endianness 0x{span[0]:X2}, not 'l'");
                    return;
                }
                var bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
                var fieldsLength = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
                var total = 16L + (fieldsLength + 7) / 8 * 8 + bodyLength;
                if (total > MaxMessage)
                {
                    Stop(d, context, output, $"message of {total} bytes is implausible");
                    return;
                }
                if (span.Length < total) return;
                var (iface, member, reply) = Fields(span.Slice(16, (int)fieldsLength));
                output.Add(new AllJoynMessageEvent(context, span[1], BinaryPrimitives.ReadUInt32LittleEndian(span[8..]), iface, member, reply, (uint)total));
                d.Buffer.Consume((int)total);
            }
        }

        /// <summary>INTERFACE (2), MEMBER (3) and REPLY_SERIAL (5) from the header-field array; what does not parse is left out.</summary>
        private static (string?, string?, uint?) Fields(ReadOnlySpan<byte> fields)
        {
            string? iface = null, member = null;
            uint? reply = null;
            var pos = 0;
            while (pos + 4 <= fields.Length)
            {
                var code = fields[pos];
                var sig = fields[pos + 2];
                pos += 4;
                if (sig is (byte)'s' or (byte)'o' or (byte)'u')
                {
                    pos = (pos + 3) / 4 * 4;
                    if (pos + 4 > fields.Length) break;
                    var u = BinaryPrimitives.ReadUInt32LittleEndian(fields[pos..]);
                    pos += 4;
                    if (sig == 'u')
                    {
                        if (code == 5) reply = u;
                    }
                    else
                    {
                        if (u > fields.Length - pos) break;
                        var s = Encoding.UTF8.GetString(fields.Slice(pos, (int)u));
                        if (code == 2) iface = s;
                        else if (code == 3) member = s;
                        pos += (int)u + 1;
                    }
                }
                else if (sig == 'g')
                {
                    if (pos >= fields.Length) break;
                    pos += fields[pos] + 2;
                }
                else break;
                pos = (pos + 7) / 8 * 8;
            }
            return (iface, member, reply);
        }

        private static void Stop(Direction d, in FrameContext context, List<DecodedEvent> output, string why)
        {
            output.Add(new MalformedEvent(context, "alljoyn", why, d.Buffer.Offset));
            d.Stopped = true;
            d.Buffer.Clear();
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
            public bool ExpectNul { get; set; }
            public bool Messages { get; set; }
            public bool Stopped { get; set; }
        }
    }
}
