using HilRig.Capture.Decoding;
using HilRig.Capture.Decoding.Tls;
using HilRig.Capture.Events;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.Capture.Tests.Decoding;

/// <summary>
/// TLS 1.3 inside a capture, decrypted with the key log the server wrote: the HTTP/1.1 and HTTP/2 (ALPN) requests
/// and responses of real traffic (curl with a client certificate against node, fixtures/captures/generate-tls.sh)
/// match what tshark decrypts from the same file and key log, frame by frame.
/// </summary>
public class TlsDecryptionTests
{
    private static readonly string Capture = RepoPaths.Fixtures("captures", "tls13-mtls.pcapng");
    private static readonly string Keys = RepoPaths.Fixtures("captures", "tls13-mtls.keys");

    private static List<DecodedEvent> Decode(TlsKeyLog keys) => CaptureDecoder.DecodeFile(Capture, new DecoderOptions { TlsKeys = keys });

    [Test]
    public void Http1InsideTls_RequestsAndResponses_MatchTshark()
    {
        var expected = Tshark.Fields(Capture, "http", ["http.request.method", "http.request.uri", "http.response.code"], "-o", $"tls.keylog_file:{Keys}");
        var events = Decode(TlsKeyLog.Load([Keys])).OfType<HttpEvent>().ToList();
        var ours = events.Select(e => new[]
        {
            e.Frame.ToString(), e.Message.Method ?? "", e.Message.Target ?? "", e.Message.IsRequest ? "" : e.Message.Status.ToString(),
        }).ToList();
        Assert.That(expected, Has.Count.EqualTo(4), "the fixture holds a check-in and a Range request over HTTP/1.1");
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
        Assert.That(events.Single(e => e.Message.Target == "/files/abc").Message.RangeStart, Is.EqualTo(4096), "the header block is decrypted whole");
    }

    [Test]
    public void Http2InsideTls_FrameTypesAndHeaders_MatchTshark()
    {
        var expected = Tshark.Fields(Capture, "http2", ["http2.type", "http2.headers.path", "http2.headers.status"], "-o", $"tls.keylog_file:{Keys}");
        var ours = Decode(TlsKeyLog.Load([Keys])).OfType<Http2Event>().GroupBy(e => e.Frame).Select(g => new[]
        {
            g.Key.ToString(),
            string.Join(",", g.Select(e => (int)e.Header.Type)),
            string.Join(",", g.Select(e => e.HeaderValue(":path")).Where(p => p is not null)),
            string.Join(",", g.Select(e => e.HeaderValue(":status")).Where(p => p is not null)),
        }).ToList();
        Assert.That(expected, Has.Count.GreaterThanOrEqualTo(8));
        Assert.That(ours.Select(r => string.Join(" | ", r)), Is.EqualTo(expected.Select(r => string.Join(" | ", r))));
    }

    [Test]
    public void Hellos_AreReported_WithAlpnVersionAndSuite()
    {
        var hellos = Decode(TlsKeyLog.Load([Keys])).OfType<TlsEvent>().ToList();
        Assert.That(hellos.Select(h => h.Kind), Is.EqualTo(new[] { "client-hello", "server-hello", "client-hello", "server-hello" }));
        Assert.That(hellos.Where(h => h.Kind == "client-hello").Select(h => h.Alpn), Is.EqualTo(new[] { "http/1.1", "h2,http/1.1" }));
        Assert.That(hellos[1].Summary, Does.Contain("TLS 1.3, suite 0x1302"));
    }

    [Test]
    public void WithoutTheSecrets_TheConnectionsAreReportedNotDecrypted_AndNothingAboveTlsIsInvented()
    {
        var events = Decode(TlsKeyLog.Empty);
        Assert.That(events.OfType<HttpEvent>(), Is.Empty);
        Assert.That(events.OfType<Http2Event>(), Is.Empty);
        var refused = events.OfType<TlsEvent>().Where(e => e.Kind == "not-decrypted").ToList();
        Assert.That(refused, Has.Count.EqualTo(2));
        Assert.That(refused[0].Summary, Does.Match("no traffic secrets for client random [0-9a-f]{64} in the key log: not decrypted"));
    }

    [Test]
    public void WrongSecrets_TheRecordIsReportedMalformed_NotDecodedAsGarbage()
    {
        var text = File.ReadAllText(Keys);
        // Same client randoms, every secret flipped: nothing authenticates.
        var wrong = string.Join('\n', text.Split('\n').Select(l => l.Split(' ') is [var label, var random, var secret] ? $"{label} {random} {new string(secret.Select(c => c == '0' ? '1' : '0').ToArray())}" : l));
        var events = Decode(TlsKeyLog.Parse(wrong));
        Assert.That(events.OfType<HttpEvent>(), Is.Empty);
        Assert.That(events.OfType<MalformedEvent>().Select(e => e.Summary), Has.Some.Contains("does not decrypt with the logged secrets"));
    }

    [Test]
    public void KeyLog_IgnoresCommentsTls12LinesAndJunk()
    {
        var random = new string('a', 64);
        var log = TlsKeyLog.Parse($"# SSL/TLS secrets log file\nCLIENT_RANDOM {random} {new string('b', 96)}\nCLIENT_TRAFFIC_SECRET_0 {random} 0011\nnot a line\nSERVER_TRAFFIC_SECRET_0 {random} zz\n");
        Assert.That(log.Count, Is.EqualTo(1));
        Assert.That(log.Secret(Convert.FromHexString(random), TlsKeyLog.ClientTraffic), Is.EqualTo(new byte[] { 0x00, 0x11 }));
        Assert.That(log.Secret(Convert.FromHexString(random), TlsKeyLog.ServerTraffic), Is.Null);
    }
}
