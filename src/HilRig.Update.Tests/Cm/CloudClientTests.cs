using System.Net;
using System.Net.Sockets;
using HilRig.Testing;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>The CM's cloud calls on a flaky link: a connection that could not be made is retried, an answer never is.</summary>
public class CloudClientTests
{
    /// <summary>The lowest layer: a handler whose first N sends fail to connect, then answers with the given status.</summary>
    private sealed class FlakyConnect(int failures, HttpStatusCode status) : HttpMessageHandler
    {
        public int Sends;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (++Sends <= failures)
                throw new HttpRequestException(HttpRequestError.ConnectionError, "No route to host (10.77.0.1:8080)", new SocketException((int)SocketError.HostUnreachable));
            return Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent("""{"action":"none","reason":"up to date"}""", System.Text.Encoding.UTF8, "application/json") });
        }
    }

    private static readonly CheckInRequest Request = new("unit-1", "p", 0, "n1");

    [Test]
    public async Task CheckIn_ConnectionFailsTwice_RetriedWithBackoff_Succeeds()
    {
        var time = new ManualTimeProvider();
        var handler = new FlakyConnect(2, HttpStatusCode.OK);
        var client = new CloudClient(new HttpClient(handler), new Uri("http://10.77.0.1:8080/"), time);
        var call = client.CheckInAsync(Request, default);
        await Eventually.TrueAsync(() => handler.Sends == 1, TimeSpan.FromSeconds(5), "the first attempt");
        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.That(handler.Sends, Is.EqualTo(1), "first back-off is 500 ms");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => handler.Sends == 2, TimeSpan.FromSeconds(5), "the retry after 500 ms");
        time.Advance(TimeSpan.FromSeconds(1));
        var response = await call.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That((response.Action, handler.Sends), Is.EqualTo(("none", 3)));
    }

    /// <summary>A handler whose first send fails in the TLS handshake with <paramref name="inner"/>, then answers.</summary>
    private sealed class FlakyHandshake(Exception inner) : HttpMessageHandler
    {
        public int Sends;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (++Sends == 1)
                throw new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.", inner);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"action":"none","reason":"up to date"}""", System.Text.Encoding.UTF8, "application/json") });
        }
    }

    [Test]
    public async Task CheckIn_HandshakeBrokenByTheLink_Retried()
    {
        // What a 30 % loss scenario saw: the server's handshake timeout passed while TCP was still retransmitting.
        var handler = new FlakyHandshake(new IOException("Received an unexpected EOF or 0 bytes from the transport stream."));
        var client = new CloudClient(new HttpClient(handler), new Uri("https://10.77.0.1:8080/"), TimeProvider.System, attempts: 2);
        var response = await client.CheckInAsync(Request, default);
        Assert.That((response.Action, handler.Sends), Is.EqualTo(("none", 2)));
    }

    [Test]
    public void CheckIn_CertificateRefusedInTheHandshake_NotRetried()
    {
        var handler = new FlakyHandshake(new System.Security.Authentication.AuthenticationException("The remote certificate was rejected by the provided RemoteCertificateValidationCallback."));
        var client = new CloudClient(new HttpClient(handler), new Uri("https://10.77.0.1:8080/"), TimeProvider.System, attempts: 3);
        var e = Assert.ThrowsAsync<HttpRequestException>(() => client.CheckInAsync(Request, default))!;
        Assert.That((e.HttpRequestError, handler.Sends), Is.EqualTo((HttpRequestError.SecureConnectionError, 1)));
    }

    [Test]
    public void CheckIn_CloudAnswers500_NotRetried()
    {
        var handler = new FlakyConnect(0, HttpStatusCode.InternalServerError);
        var client = new CloudClient(new HttpClient(handler), new Uri("http://10.77.0.1:8080/"), new ManualTimeProvider());
        var e = Assert.ThrowsAsync<HttpRequestException>(() => client.CheckInAsync(Request, default))!;
        Assert.That((e.StatusCode, handler.Sends), Is.EqualTo(((HttpStatusCode?)HttpStatusCode.InternalServerError, 1)));
    }

    [Test]
    public void CheckIn_NeverConnects_GivesUpAfterItsAttempts_WithTheConnectionError()
    {
        var handler = new FlakyConnect(int.MaxValue, HttpStatusCode.OK);
        var client = new CloudClient(new HttpClient(handler), new Uri("http://10.77.0.1:8080/"), TimeProvider.System, attempts: 2);
        var e = Assert.ThrowsAsync<HttpRequestException>(() => client.CheckInAsync(Request, default))!;
        Assert.That((e.HttpRequestError, handler.Sends), Is.EqualTo((HttpRequestError.ConnectionError, 2)));
    }
}
