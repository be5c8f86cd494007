using System.Security.Cryptography;
using HilRig.Testing;
using HilRig.Update.Bundles;
using HilRig.Update.Cm;
using HilRig.Update.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>The downloader against real HTTP servers that break the way networks do.</summary>
public class ComponentDownloaderTests
{
    private static readonly byte[] Payload = RandomNumberGenerator.GetBytes(200_000);

    private static ComponentInfo Info(params string[] urls) =>
        new("rootfs", "2.0", null, null, urls, SHA256.HashData(Payload), SHA512.HashData(Payload), Payload.Length);

    private static ComponentDownloader Downloader(HttpClient http) => new(http, new DownloadOptions
    {
        AttemptsPerUrl = 3,
        FirstRetryDelay = TimeSpan.FromMilliseconds(10),
    }, TimeProvider.System);

    /// <summary>A server that serves <see cref="Payload"/> with Range, and breaks the first <c>breakCount</c> transfers half-way.</summary>
    private sealed class FlakyServer
    {
        public int Requests;
        public List<string?> Ranges { get; } = new();
        public int BreakCount { get; init; }
        public int StallCount { get; init; }
        public int Status { get; init; } = 200;

        public RequestDelegate Handler => async context =>
        {
            var n = Interlocked.Increment(ref Requests);
            lock (Ranges) Ranges.Add(context.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null);
            if (Status != 200)
            {
                context.Response.StatusCode = Status;
                return;
            }
            if (n <= StallCount)
            {
                // Half the body, then silence with the connection open: a link that went dark mid-transfer.
                context.Response.ContentLength = Payload.Length;
                await context.Response.Body.WriteAsync(Payload.AsMemory(0, Payload.Length / 2));
                await context.Response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                return;
            }
            if (n <= BreakCount)
            {
                context.Response.ContentLength = Payload.Length;
                await context.Response.Body.WriteAsync(Payload.AsMemory(0, Payload.Length / 2));
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }
            await Results.Bytes(Payload, "application/octet-stream", enableRangeProcessing: true).ExecuteAsync(context);
        };
    }

    [Test]
    public async Task Download_TransferBreaksHalfWay_ResumesWithRange()
    {
        var server = new FlakyServer { BreakCount = 1 };
        await using var host = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, server.Handler);
        using var http = new HttpClient();
        var dir = RepoPaths.NewTempDirectory("dl-resume");
        var destination = Path.Combine(dir, "rootfs.enc");
        await Downloader(http).DownloadAsync(Info("rootfs.enc"), new Uri(host.Address, "files/"), destination, default);
        Assert.That(File.ReadAllBytes(destination), Is.EqualTo(Payload));
        Assert.That(server.Ranges, Is.EqualTo(new[] { null, $"bytes={Payload.Length / 2}-" }));
    }

    [Test]
    public async Task Download_TransferStallsHalfWay_AbandonedAfterStallTimeout_ResumesWithRange()
    {
        var server = new FlakyServer { StallCount = 1 };
        await using var host = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, server.Handler);
        using var http = new HttpClient();
        var destination = Path.Combine(RepoPaths.NewTempDirectory("dl-stall"), "rootfs.enc");
        var downloader = new ComponentDownloader(http, new DownloadOptions
        {
            AttemptsPerUrl = 3,
            FirstRetryDelay = TimeSpan.FromMilliseconds(10),
            StallTimeout = TimeSpan.FromMilliseconds(300),
        }, TimeProvider.System);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await downloader.DownloadAsync(Info("rootfs.enc"), new Uri(host.Address, "files/"), destination, default);
        Assert.That(File.ReadAllBytes(destination), Is.EqualTo(Payload));
        Assert.That(server.Ranges, Is.EqualTo(new[] { null, $"bytes={Payload.Length / 2}-" }), "the stalled half is kept and the rest asked for");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), "abandoned at the stall timeout");
    }

    [Test]
    public async Task Download_FirstUrlKeepsFailing_RetriesWithBackoffThenTakesTheNextUrl()
    {
        var down = new FlakyServer { Status = 503 };
        var good = new FlakyServer();
        await using var downHost = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, down.Handler);
        await using var goodHost = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, good.Handler);
        using var http = new HttpClient();
        var destination = Path.Combine(RepoPaths.NewTempDirectory("dl-next"), "rootfs.enc");
        var downloader = Downloader(http);
        await downloader.DownloadAsync(Info(new Uri(downHost.Address, "x").AbsoluteUri, new Uri(goodHost.Address, "x").AbsoluteUri), downHost.Address, destination, default);
        Assert.That(File.ReadAllBytes(destination), Is.EqualTo(Payload));
        Assert.That((down.Requests, good.Requests, downloader.Attempts), Is.EqualTo((3, 1, 4)));
    }

    [Test]
    public async Task Download_NotFound_IsNotRetriedAndNamesEveryUrl()
    {
        var missing = new FlakyServer { Status = 404 };
        await using var host = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, missing.Handler);
        using var http = new HttpClient();
        var destination = Path.Combine(RepoPaths.NewTempDirectory("dl-404"), "rootfs.enc");
        var e = Assert.ThrowsAsync<BundleRejectedException>(() => Downloader(http).DownloadAsync(Info("a", "b"), host.Address, destination, default))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.DownloadFailed));
        Assert.That(e.Detail, Does.Contain("/a: GET").And.Contain("/b: GET").And.Contain("404"));
        Assert.That(missing.Requests, Is.EqualTo(2));
        Assert.That(File.Exists(destination) || File.Exists(destination + ".partial"), Is.False);
    }

    [Test]
    public async Task Download_ServerUnreachable_TimesOutIntoDownloadFailed()
    {
        using var http = new HttpClient();
        var destination = Path.Combine(RepoPaths.NewTempDirectory("dl-unreach"), "rootfs.enc");
        // Port 9 (discard) on loopback: nothing listens, so every attempt is refused.
        var e = Assert.ThrowsAsync<BundleRejectedException>(() => Downloader(http).DownloadAsync(Info("http://127.0.0.1:9/x"), new Uri("http://127.0.0.1:9/"), destination, default))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.DownloadFailed));
    }

    [Test]
    public async Task Download_SlowButSteadyLink_IsNotCutOffHowEverLongItTakes()
    {
        // Virtual time: every 4 KiB takes 15 s to arrive — well inside the 20 s stall timeout, and 49 reads need
        // over 12 minutes, longer than any number of fixed-length attempts at 60 s.
        var time = new ManualTimeProvider();
        var start = time.GetUtcNow();
        var server = new FlakyServer();
        await using var host = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, server.Handler);
        using var http = new HttpClient(new SlowLink(time, TimeSpan.FromSeconds(15), 4096));
        var destination = Path.Combine(RepoPaths.NewTempDirectory("dl-slow"), "rootfs.enc");
        var downloader = new ComponentDownloader(http, new DownloadOptions
        {
            AttemptsPerUrl = 3,
            FirstRetryDelay = TimeSpan.Zero,
            StallTimeout = TimeSpan.FromSeconds(20),
        }, time);

        await downloader.DownloadAsync(Info("rootfs.enc"), new Uri(host.Address, "files/"), destination, default).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(File.ReadAllBytes(destination), Is.EqualTo(Payload));
        Assert.That(time.GetUtcNow() - start, Is.GreaterThan(TimeSpan.FromMinutes(12)));
        Assert.That((server.Requests, downloader.Attempts), Is.EqualTo((1, 1)), "one attempt: the data never stopped flowing");
    }

    /// <summary>A link that delivers at most <c>readSize</c> bytes per read and takes <c>perRead</c> of virtual time for each.</summary>
    private sealed class SlowLink(ManualTimeProvider time, TimeSpan perRead, int readSize) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            var original = response.Content;
            var slow = new StreamContent(new SlowStream(await original.ReadAsStreamAsync(ct), time, perRead, readSize));
            foreach (var header in original.Headers) slow.Headers.TryAddWithoutValidation(header.Key, header.Value);
            response.Content = slow;
            return response;
        }
    }

    private sealed class SlowStream(Stream inner, ManualTimeProvider time, TimeSpan perRead, int readSize) : Stream
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, readSize)], ct);
            if (n > 0) time.Advance(perRead);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, default).GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
