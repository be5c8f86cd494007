using System.Globalization;
using System.Text;
using HilRig.Capture.Events;

namespace HilRig.Capture.Decoding.Http1;

/// <summary>
/// Decodes both directions of one HTTP/1.x connection from reassembled TCP bytes: each request and response header
/// block becomes an <see cref="HttpEvent"/> at the frame that completed it. Bodies are skipped without copying, framed
/// as RFC 9112 §6.3 says: no body for HEAD responses, 1xx, 204 and 304; chunked transfer coding; Content-Length;
/// otherwise a response runs until the connection closes. A violation stops that direction with one
/// <see cref="MalformedEvent"/> naming the stream offset.
/// </summary>
internal sealed class Http1ConnectionDecoder : Streams.ITcpStreamDecoder
{
    /// <summary>Longest header block accepted; Kestrel's default limit is 32 KiB.</summary>
    public const int MaxHeaderBlock = 64 * 1024;

    private readonly Side _client = new(isClient: true);
    private readonly Side _server = new(isClient: false);
    private readonly Queue<string> _methods = new();

    private enum State
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailer,
        UntilClose,
    }

    private sealed class Side(bool isClient)
    {
        public bool IsClient { get; } = isClient;
        public ByteQueue Buffer { get; } = new();
        public State State = State.Head;
        public long Remaining;
        public long Offset;
        public bool Broken;
    }

    /// <summary>True when a client's first bytes start like an HTTP/1.x request line.</summary>
    public static bool LooksLikeRequest(ReadOnlySpan<byte> first)
    {
        ReadOnlySpan<string> methods = ["GET ", "POST ", "PUT ", "DELETE ", "HEAD ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE "];
        foreach (var m in methods)
        {
            var n = Math.Min(first.Length, m.Length);
            if (n > 0 && Encoding.ASCII.GetString(first[..n]) == m[..n]) return true;
        }
        return false;
    }

    public void OnBytes(bool fromClient, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
    {
        var side = fromClient ? _client : _server;
        if (side.Broken) return;
        try
        {
            Consume(side, bytes, context, output);
        }
        catch (ProtocolViolationException e)
        {
            side.Broken = true;
            output.Add(new MalformedEvent(context, "http", e.Reason, e.Offset));
        }
    }

    /// <summary>The capture lost bytes of one direction: message framing after them is unknowable, so that direction stops.</summary>
    public void OnGap(bool fromClient)
    {
        var side = fromClient ? _client : _server;
        side.Broken = true;
        side.Buffer.Clear();
    }

    private void Consume(Side side, ReadOnlySpan<byte> bytes, in FrameContext context, List<DecodedEvent> output)
    {
        byte[]? carry = null;
        while (bytes.Length > 0)
        {
            switch (side.State)
            {
                case State.Body or State.ChunkData:
                {
                    var n = (int)Math.Min(side.Remaining, bytes.Length);
                    side.Remaining -= n;
                    side.Offset += n;
                    bytes = bytes[n..];
                    if (side.Remaining == 0) side.State = side.State == State.Body ? State.Head : State.ChunkDataEnd;
                    break;
                }
                case State.UntilClose:
                    side.Offset += bytes.Length;
                    return;
                default:
                {
                    // Line-oriented states collect bytes until what they need is complete, then go on with the rest.
                    side.Buffer.Append(bytes);
                    bytes = default;
                    var rest = ParseBuffered(side, context, output);
                    if (rest.Length > 0)
                    {
                        carry = rest.ToArray();
                        bytes = carry;
                    }
                    break;
                }
            }
        }
    }

    /// <summary>Parses what the buffer holds in a line-oriented state; returns bytes past it that belong to a body.</summary>
    private ReadOnlySpan<byte> ParseBuffered(Side side, in FrameContext context, List<DecodedEvent> output)
    {
        while (true)
        {
            var span = side.Buffer.Span;
            switch (side.State)
            {
                case State.Head:
                {
                    var end = span.IndexOf("\r\n\r\n"u8);
                    if (end < 0)
                    {
                        if (span.Length > MaxHeaderBlock)
                            throw new ProtocolViolationException("http", $"header block longer than {MaxHeaderBlock} bytes", side.Offset);
                        return default;
                    }
                    var start = side.Offset;
                    var message = ParseHead(side, span[..end]);
                    Consumed(side, end + 4);
                    output.Add(new HttpEvent(context, message));
                    StartBody(side, message, start);
                    break;
                }
                case State.ChunkSize or State.ChunkDataEnd or State.Trailer:
                {
                    var end = span.IndexOf("\r\n"u8);
                    if (end < 0)
                    {
                        if (span.Length > 4096) throw new ProtocolViolationException("http", "chunk line longer than 4096 bytes", side.Offset);
                        return default;
                    }
                    var line = span[..end];
                    if (side.State == State.ChunkDataEnd)
                    {
                        if (end != 0) throw new ProtocolViolationException("http", "chunk data not followed by CRLF", side.Offset);
                        side.State = State.ChunkSize;
                    }
                    else if (side.State == State.Trailer)
                    {
                        if (end == 0) side.State = State.Head;
                    }
                    else
                    {
                        var text = Encoding.ASCII.GetString(line);
                        var semi = text.IndexOf(';');
                        if (!long.TryParse(semi >= 0 ? text[..semi].Trim() : text.Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                            throw new ProtocolViolationException("http", $"chunk size '{text}' is not hexadecimal", side.Offset);
                        side.Remaining = size;
                        side.State = size == 0 ? State.Trailer : State.ChunkData;
                    }
                    Consumed(side, end + 2);
                    break;
                }
                default:
                {
                    // A body state: hand back what is buffered so the caller skips it without copying again.
                    var rest = span.ToArray();
                    side.Buffer.Clear();
                    return rest;
                }
            }
            if (side.Buffer.Length == 0) return default;
        }
    }

    private static void Consumed(Side side, int count)
    {
        side.Buffer.Consume(count);
        side.Offset += count;
    }

    private Http1Message ParseHead(Side side, ReadOnlySpan<byte> head)
    {
        var text = Encoding.Latin1.GetString(head);
        var lines = text.Split("\r\n");
        var start = lines[0].Split(' ', 3);
        Http1Message message;
        var headers = new List<KeyValuePair<string, string>>();
        for (var i = 1; i < lines.Length; i++)
        {
            var colon = lines[i].IndexOf(':');
            if (colon <= 0) throw new ProtocolViolationException("http", $"header line '{Shorten(lines[i])}' has no name", side.Offset);
            headers.Add(new(lines[i][..colon], lines[i][(colon + 1)..].Trim()));
        }
        if (side.IsClient)
        {
            if (start.Length != 3 || !start[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
                throw new ProtocolViolationException("http", $"request line '{Shorten(lines[0])}' is not 'METHOD target HTTP/1.x'", side.Offset);
            message = new Http1Message(true, start[0], start[1], start[2], 0, null, headers);
            _methods.Enqueue(start[0]);
        }
        else
        {
            if (start.Length < 2 || !start[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(start[1], out var status) || status is < 100 or > 999)
                throw new ProtocolViolationException("http", $"status line '{Shorten(lines[0])}' is not 'HTTP/1.x NNN reason'", side.Offset);
            message = new Http1Message(false, null, null, start[0], status, start.Length == 3 ? start[2] : "", headers);
        }
        return message;
    }

    private void StartBody(Side side, Http1Message message, long messageOffset)
    {
        side.State = State.Head;
        if (!side.IsClient)
        {
            if (message.Status is >= 100 and < 200) return; // interim: the final response follows
            var method = _methods.Count > 0 ? _methods.Dequeue() : null;
            if (method == "HEAD" || message.Status is 204 or 304) return;
        }
        if (message.Header("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            side.State = State.ChunkSize;
            return;
        }
        if (message.Header("Content-Length") is { } cl)
        {
            if (!long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
                throw new ProtocolViolationException("http", $"Content-Length '{cl}' is not a number", messageOffset);
            side.Remaining = length;
            if (length > 0) side.State = State.Body;
            return;
        }
        // A request without either has no body; a response runs until the server closes.
        if (!side.IsClient) side.State = State.UntilClose;
    }

    private static string Shorten(string s) => s.Length > 60 ? s[..60] + "…" : s;
}
