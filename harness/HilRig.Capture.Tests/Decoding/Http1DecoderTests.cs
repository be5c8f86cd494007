using System.Text;
using FsCheck;
using FsCheck.Fluent;
using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Http1;
using HilRig.Capture.Events;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>HTTP/1.x from reassembled stream bytes: message framing (RFC 9112 §6.3), split deliveries, and bad input.</summary>
public class Http1DecoderTests
{
    private static readonly FrameContext Context = new(7, 0, 0, FrameDirection.Unknown, default, default);

    private static List<DecodedEvent> Feed(Http1ConnectionDecoder decoder, bool fromClient, string text, int chunk = int.MaxValue)
    {
        var events = new List<DecodedEvent>();
        var bytes = Encoding.Latin1.GetBytes(text);
        for (var i = 0; i < bytes.Length; i += chunk)
            decoder.OnBytes(fromClient, bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)), Context, events);
        return events;
    }

    private static Http1Message Message(DecodedEvent e) => ((HttpEvent)e).Message;

    [Test]
    public void Request_WithRange_DecodesMethodTargetAndRangeStart()
    {
        var events = Feed(new Http1ConnectionDecoder(), true, "GET /files/ab HTTP/1.1\r\nHost: cloud\r\nRange: bytes=1010515-\r\n\r\n");
        var m = Message(events.Single());
        Assert.That((m.IsRequest, m.Method, m.Target, m.Version, m.RangeStart), Is.EqualTo((true, "GET", "/files/ab", "HTTP/1.1", 1010515L)));
        Assert.That(m.Header("range"), Is.EqualTo("bytes=1010515-"), "header names compare case-insensitively");
    }

    [Test]
    public void Responses_ContentLengthBodySkipped_SecondResponseFound_EvenByteByByte([Values(1, 7, 4096)] int chunk)
    {
        var decoder = new Http1ConnectionDecoder();
        Feed(decoder, true, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        var body = new string('x', 3000) + "HTTP/1.1 500 Not A Header\r\n\r\n";
        var events = Feed(decoder, false, $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-3034/9000\r\nContent-Length: {body.Length}\r\n\r\n{body}HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", chunk);
        Assert.That(events.Select(e => Message(e).Status), Is.EqualTo(new[] { 206, 200 }), "text inside a body is not a message");
    }

    [Test]
    public void Chunked_Body_FramedByChunkSizes_WithExtensionsAndTrailer()
    {
        var decoder = new Http1ConnectionDecoder();
        Feed(decoder, true, "POST /api/checkin HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
        var events = Feed(decoder, false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 3);
        Assert.That(events.Select(e => Message(e).Status), Is.EqualTo(new[] { 200, 204 }));
    }

    [Test]
    public void HeadAnd304_HaveNoBody_DespiteContentLength()
    {
        var decoder = new Http1ConnectionDecoder();
        Feed(decoder, true, "HEAD /big HTTP/1.1\r\n\r\nGET /cached HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n");
        var events = Feed(decoder, false,
            "HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        Assert.That(events.Select(e => Message(e).Status), Is.EqualTo(new[] { 200, 304, 100, 404 }));
    }

    [TestCase(false, "HTTP/1.1 abc OK\r\n\r\n", "status line 'HTTP/1.1 abc OK' is not 'HTTP/1.x NNN reason'", 0)]
    [TestCase(true, "GET /a HTTP/1.1\r\n\r\nGET /b HTTX/1.1\r\n\r\n", "request line 'GET /b HTTX/1.1' is not 'METHOD target HTTP/1.x'", 19)]
    [TestCase(true, "GET /a HTTP/1.1\r\nno colon here\r\n\r\n", "header line 'no colon here' has no name", 0)]
    [TestCase(false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size 'zz' is not hexadecimal", 47)]
    [TestCase(false, "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length '-1' is not a number", 0)]
    public void Malformed_OneEventNamingTheStreamOffset_ThenThatDirectionStops(bool fromClient, string text, string reason, long offset)
    {
        var decoder = new Http1ConnectionDecoder();
        if (!fromClient) Feed(decoder, true, "GET / HTTP/1.1\r\n\r\n");
        var events = Feed(decoder, fromClient, text);
        var malformed = events.OfType<MalformedEvent>().Single();
        Assert.That((malformed.Layer, malformed.Reason, malformed.Offset), Is.EqualTo(("http", "http: " + reason, offset)));
        Assert.That(Feed(decoder, fromClient, "GET /later HTTP/1.1\r\n\r\n"), Is.Empty, "a broken direction is not decoded further");
    }

    [Test]
    public void HeaderBlock_LongerThanTheLimit_IsMalformed_NotBufferedForever()
    {
        var events = Feed(new Http1ConnectionDecoder(), true, "GET / HTTP/1.1\r\nX: " + new string('a', Http1ConnectionDecoder.MaxHeaderBlock), 1000);
        Assert.That(events.OfType<MalformedEvent>().Single().Reason, Does.Contain("header block longer than 65536 bytes"));
    }

    [Test, Description("2000 random byte arrays into each direction")]
    public void RandomBytes_NeverThrow()
    {
        Prop.ForAll<byte[]>(bytes =>
        {
            var decoder = new Http1ConnectionDecoder();
            var events = new List<DecodedEvent>();
            decoder.OnBytes(true, "GET / HTTP/1.1\r\n"u8, Context, events);
            decoder.OnBytes(true, bytes, Context, events);
            decoder.OnBytes(false, bytes, Context, events);
            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000).WithEndSize(300));
    }

    [Test]
    public void CloudCapture_RequestsAndResponses_MatchTshark()
    {
        // Real traffic between a CM and the cloud on SimNet (an update, then a download resumed with Range after a
        // partition), one copy of each frame as the hosts sent it.
        var path = RepoPaths.Fixtures("captures", "http1-cloud.pcapng");
        var expected = Tshark.Fields(path, "http.request || http.response",
            ["http.request.method", "http.request.uri", "http.response.code", "http.content_length_header"], "-o", "http.desegment_body:FALSE");
        var ours = CaptureDecoder.DecodeFile(path).OfType<HttpEvent>().Select(e => new[]
        {
            e.Frame.ToString(),
            e.Message.Method ?? "",
            e.Message.Target ?? "",
            e.Message.IsRequest ? "" : e.Message.Status.ToString(),
            e.Message.Header("Content-Length") ?? "",
        }).ToList();
        Assert.That(expected, Has.Count.GreaterThanOrEqualTo(20));
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
        var range = Tshark.Fields(path, "http.request.line contains \"Range:\"", ["http.request.uri"]).Single();
        var resumed = CaptureDecoder.DecodeFile(path).OfType<HttpEvent>().Single(e => e.Message.RangeStart is not null);
        Assert.That((resumed.Frame.ToString(), resumed.Message.Target, resumed.Message.RangeStart), Is.EqualTo((range[0], range[1], 1010515L)));
    }
}
