using System.Net;
using System.Net.Sockets;
using HilRig.Testing;
using HilRig.Update.Hosting;
using HilRig.Update.Um;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Um;

public class ImageFetcherTests
{
    [Test]
    public async Task ServerSendingMoreThanTheCmNamed_IsCutOffThere_AndNothingIsKept()
    {
        // Issue 13 defect (found by reading; this test failed before the fix): the UM downloaded whatever the file server
        // sent and only then compared the size, so a broken or hostile server could fill the node's storage.
        // A plain TCP server, so "served" counts what the socket took, not writes a framework drops after a close.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        long served = 0;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            var request = new byte[4096];
            await socket.ReceiveAsync(request);
            await socket.SendAsync("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"u8.ToArray());
            var chunk = new byte[64 * 1024];
            try
            {
                for (var i = 0; i < 1024; i++) // 64 MiB
                {
                    await socket.SendAsync(chunk);
                    Interlocked.Add(ref served, chunk.Length);
                }
            }
            catch (SocketException) { }
        });
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");
        var dir = RepoPaths.NewTempDirectory("fetch-cap");
        using var http = new HttpClient();
        var fetcher = new ImageFetcher(http, dir);

        var e = Assert.ThrowsAsync<InvalidDataException>(() =>
            fetcher.FetchAsync(new Uri(address, "images/2/app").AbsoluteUri, new byte[32], 4096, "app", default))!;
        await server.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(e.Message, Is.EqualTo("component 'app': the file server sent more than the 4096 bytes the CM named"));
        Assert.That(Interlocked.Read(ref served), Is.LessThan(32L << 20), $"the download stopped soon after the limit ({Interlocked.Read(ref served)} bytes served)");
        Assert.That(Directory.GetFiles(dir), Is.Empty, "nothing of it is kept");
    }

    [Test]
    public async Task ContentLengthAboveTheSize_RefusedBeforeTheBody()
    {
        await using var server = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http1, async context =>
        {
            context.Response.ContentLength = 1 << 30;
            await context.Response.Body.FlushAsync();
        });
        var dir = RepoPaths.NewTempDirectory("fetch-length");
        using var http = new HttpClient();
        var e = Assert.ThrowsAsync<InvalidDataException>(() =>
            new ImageFetcher(http, dir).FetchAsync(new Uri(server.Address, "images/2/app").AbsoluteUri, new byte[32], 4096, "app", default))!;
        Assert.That(e.Message, Is.EqualTo("component 'app': the file server announces 1073741824 bytes, the CM named 4096"));
        Assert.That(Directory.GetFiles(dir), Is.Empty);
    }
}
