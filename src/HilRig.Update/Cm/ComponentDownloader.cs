using System.Net;
using System.Net.Http.Headers;
using HilRig.Update.Bundles;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace HilRig.Update.Cm;

/// <summary>
/// Downloads one component from its URLs in order. An interrupted transfer resumes with <c>Range: bytes=N-</c>
/// from what is already on disk; an attempt is abandoned when nothing arrives for the stall timeout (never for
/// taking long while data flows) and transient failures are retried with exponential back-off; when a URL's attempts
/// are spent, or what it served fails the size/SHA-256/SHA-512 check, the next URL is tried. Only a payload that
/// passed all three checks is left at the destination.
/// </summary>
public sealed class ComponentDownloader
{
    private readonly HttpClient _http;
    private readonly ILogger? _log;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeSpan _stallTimeout;
    private readonly TimeProvider _time;

    public ComponentDownloader(HttpClient http, DownloadOptions options, TimeProvider time, ILogger? log = null)
    {
        _http = http;
        _log = log;
        _stallTimeout = options.StallTimeout;
        _time = time;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<TransientDownloadException>().Handle<HttpRequestException>(),
                MaxRetryAttempts = Math.Max(0, options.AttemptsPerUrl - 1),
                BackoffType = DelayBackoffType.Exponential,
                Delay = options.FirstRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                UseJitter = false,
                OnRetry = args =>
                {
                    _log?.LogInformation("download retry {Attempt} in {Delay}: {Error}", args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Attempts made so far (all URLs), for tests.</summary>
    public int Attempts => _attempts;
    private int _attempts;

    public async Task DownloadAsync(ComponentInfo component, Uri baseUri, string destination, CancellationToken ct)
    {
        var partial = destination + ".partial";
        var failures = new List<string>();
        BundleRejectedException? integrity = null;
        foreach (var text in component.Urls)
        {
            if (!Uri.TryCreate(baseUri, text, out var url) || url.Scheme is not ("http" or "https"))
            {
                failures.Add($"{text}: not an http(s) URL");
                continue;
            }
            try
            {
                await _pipeline.ExecuteAsync(async token => await AttemptAsync(url, partial, component, token), ct);
                await ComponentIntegrity.VerifyFileAsync(partial, component, ct);
                File.Move(partial, destination, overwrite: true);
                return;
            }
            catch (BundleRejectedException e)
            {
                // What this URL served is not the component; a mirror may have the right bytes.
                integrity = e;
                failures.Add($"{url}: {e.Message}");
                File.Delete(partial);
            }
            catch (Exception e) when (e is TransientDownloadException or PermanentDownloadException or HttpRequestException)
            {
                failures.Add($"{url}: {e.Message}");
            }
            _log?.LogWarning("component {Id}: {Failure}; trying the next URL", component.Id, failures[^1]);
        }
        File.Delete(partial);
        // Bytes that failed the checks say more than a mirror that was down.
        throw integrity ?? new BundleRejectedException(BundleRejection.DownloadFailed,
            $"component '{component.Id}': no URL could be downloaded ({string.Join("; ", failures)})");
    }

    private async Task AttemptAsync(Uri url, string partial, ComponentInfo component, CancellationToken ct)
    {
        Interlocked.Increment(ref _attempts);
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (have > component.Size) { File.Delete(partial); have = 0; }
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        // Re-armed after every read: it fires only when nothing arrives for the stall timeout.
        using var stall = new CancellationTokenSource(_stallTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, stall.Token);
        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token); }
        catch (HttpRequestException e) { throw new TransientDownloadException($"GET {url}: {e.Message}", e); }
        catch (OperationCanceledException e) when (stall.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TransientDownloadException($"GET {url}: no response within {_stallTimeout.TotalSeconds:0.###} s", e);
        }
        using (response)
        {
            var append = false;
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent when have > 0:
                    if (response.Content.Headers.ContentRange?.From != have)
                        throw new TransientDownloadException($"GET {url}: asked for bytes {have}-, got {response.Content.Headers.ContentRange}");
                    append = true;
                    break;
                case HttpStatusCode.OK:
                    break; // no Range support (or nothing to resume): start over
                case HttpStatusCode.RequestedRangeNotSatisfiable when have == component.Size:
                    return; // everything is already here
                case HttpStatusCode.RequestedRangeNotSatisfiable:
                    File.Delete(partial);
                    throw new TransientDownloadException($"GET {url}: range {have}- not satisfiable, starting over");
                case HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError:
                    throw new TransientDownloadException($"GET {url}: {(int)response.StatusCode} {response.ReasonPhrase}");
                default:
                    throw new PermanentDownloadException($"GET {url}: {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            await using var output = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(linked.Token);
                var buffer = new byte[1 << 16];
                var total = append ? have : 0;
                int n;
                while ((n = await body.ReadAsync(buffer, linked.Token)) > 0)
                {
                    stall.CancelAfter(_stallTimeout);
                    total += n;
                    if (total > component.Size)
                        throw new BundleRejectedException(BundleRejection.SizeMismatch, $"component '{component.Id}': {url} serves more than the {component.Size} bytes the metadata says");
                    await output.WriteAsync(buffer.AsMemory(0, n), ct);
                }
            }
            catch (OperationCanceledException e) when (stall.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                // Keep what arrived: the next attempt resumes from it with a Range request.
                throw new TransientDownloadException($"GET {url}: transfer stalled for {_stallTimeout.TotalSeconds:0.###} s after {output.Length} bytes", e);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && e is not TransientDownloadException)
            {
                // Keep what arrived: the next attempt resumes from it.
                throw new TransientDownloadException($"GET {url}: transfer broke after {output.Length} bytes ({e.Message})", e);
            }
        }
    }
}
