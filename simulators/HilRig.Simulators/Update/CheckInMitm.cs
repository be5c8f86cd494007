using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using HilRig.Update.Cloud;
using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace HilRig.Simulators.Update;

/// <summary>
/// A man in the middle of a unit's link to its cloud: an HTTPS reverse proxy that answers with the cloud's own server
/// certificate (so the unit, which trusts the cloud's CA and checks the host name, cannot tell it from the cloud) and
/// forwards every request to the cloud over a connection of its own. Check-in answers go through <see cref="Forgery"/>;
/// everything else (results, downloads) passes unchanged. Each request and what was done to it is a line of its log.
/// </summary>
public sealed class CheckInMitm : IAsyncDisposable
{
    // Connection-level headers belong to each hop, and Kestrel or HttpClient sets the framing of its own side.
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host", "Content-Length",
    };

    private readonly HttpClient _upstream;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly X509Certificate2 _certificate;
    private KestrelHost? _host;

    private CheckInMitm(HttpClient upstream, X509Certificate2 certificate, OfferForgery forgery, TextWriter log, TimeProvider time)
    {
        _certificate = certificate;
        _upstream = upstream;
        Forgery = forgery;
        _log = log;
        _time = time;
    }

    /// <summary>What it does to check-in answers; a step changes its mode between check-ins.</summary>
    public OfferForgery Forgery { get; }

    /// <summary>The port it listens on (on the address it was given).</summary>
    public int Port => _host!.Port;

    /// <summary>
    /// Listens on <paramref name="endpoint"/> with a socket <paramref name="bind"/> makes (in the cloud's network namespace
    /// on SimNet) and relays to <paramref name="cloud"/> through <paramref name="cloudHandler"/> (whose TLS settings
    /// present the credentials the attacker speaks to the cloud with). It takes ownership of the handler, the certificate
    /// and <paramref name="forgery"/>.
    /// </summary>
    public static async Task<CheckInMitm> StartAsync(IPEndPoint endpoint, Func<IPEndPoint, Socket> bind, X509Certificate2 serverCertificate, Uri cloud,
        HttpMessageHandler cloudHandler, OfferForgery forgery, TextWriter log, TimeProvider time, CancellationToken ct)
    {
        var mitm = new CheckInMitm(new HttpClient(cloudHandler) { BaseAddress = cloud, Timeout = TimeSpan.FromSeconds(60) }, serverCertificate, forgery, log, time);
        try
        {
            mitm._host = await KestrelHost.StartAsync(endpoint, HttpProtocols.Http1AndHttp2, app => app.Run(context => mitm.RelayAsync(context)), maxRequestBodySize: null, ct: ct,
                https: https => https.ServerCertificate = serverCertificate,
                build: builder => builder.WebHost.UseSockets(o => o.CreateBoundListenSocket = e => bind((IPEndPoint)e)));
            mitm.Log($"listening on {endpoint.Address}:{mitm.Port}, relaying to {cloud}");
            return mitm;
        }
        catch
        {
            await mitm.DisposeAsync();
            throw;
        }
    }

    private async Task RelayAsync(HttpContext context)
    {
        var request = context.Request;
        var line = $"{request.Method} {request.Path}{request.QueryString} ({request.Protocol} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort})";
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.Value!.TrimStart('/') + request.QueryString);
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
            forward.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopHeaders.Contains(name) || name.StartsWith(':')) continue;
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values)) forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
        }
        HttpResponseMessage answer;
        try
        {
            answer = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Log($"{line} → the cloud did not answer: {e.Message}");
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        using (answer)
        {
            var response = context.Response;
            response.StatusCode = (int)answer.StatusCode;
            foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
                if (!HopHeaders.Contains(name)) response.Headers[name] = values.ToArray();
            if (request.Path == CloudApi.CheckInPath && answer.IsSuccessStatusCode)
            {
                var (body, done) = Answered(await answer.Content.ReadAsStringAsync(context.RequestAborted));
                Log($"{line} → {response.StatusCode}, answer {done}");
                var bytes = Encoding.UTF8.GetBytes(body);
                response.ContentLength = bytes.Length;
                await response.Body.WriteAsync(bytes, context.RequestAborted);
                return;
            }
            Log($"{line} → {response.StatusCode}, passed through");
            await answer.Content.CopyToAsync(response.Body, context.RequestAborted);
        }
    }

    private (string Body, string Done) Answered(string cloudAnswer)
    {
        try
        {
            return Forgery.Answer(cloudAnswer);
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or System.Text.Json.JsonException or HilRig.Update.Bundles.BundleRejectedException)
        {
            // The attack could not be played; the unit gets the cloud's answer and the log says why.
            return (cloudAnswer, $"relayed unchanged: {e.Message}");
        }
    }

    private void Log(string line)
    {
        lock (_log) _log.WriteLine($"{_time.GetUtcNow():O} {line}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        _upstream.Dispose();
        _certificate.Dispose();
        Forgery.Dispose();
        lock (_log) _log.Dispose();
    }
}
