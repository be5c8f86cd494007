using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Protocol;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Grpc;

/// <summary>Our gRPC server on Kestrel against our gRPC client on HttpClient, over real loopback HTTP/2.</summary>
public class GrpcLoopbackTests
{
    private const string Path = "/updatemanager.v2.UMService/RegisterUM";
    private KestrelHost _host = null!;
    private HttpClient _http = null!;
    private GrpcClient _client = null!;
    private int _served;

    [OneTimeSetUp]
    public async Task StartServer()
    {
        var endpoint = new GrpcServerEndpoint().MapDuplex<UpdateStatus, CMMessages>(Path, UpdateStatus.Parser, async call =>
        {
            Interlocked.Increment(ref _served);
            while (await call.ReadAsync(call.CallAborted) is { } status)
            {
                if (status.NodeId == "refuse")
                    throw new GrpcStatusException(GrpcStatusCode.FailedPrecondition, "rig says no: ä 100%");
                await call.WriteAsync(new CMMessages { PrepareUpdate = new PrepareUpdate { ImageVersion = status.Priority } }, call.CallAborted);
            }
        });
        _host = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http2, async ctx =>
        {
            if (!await endpoint.TryHandleAsync(ctx)) ctx.Response.StatusCode = 404;
        });
        _http = GrpcClient.CreateHttpClient();
        _client = new GrpcClient(_http, _host.Address);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private GrpcClientCall<UpdateStatus, CMMessages> Start(string path = Path) =>
        _client.StartDuplex<UpdateStatus, CMMessages>(path, CMMessages.Parser, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);

    [Test]
    public async Task Duplex_MessagesBothWays_EndsWithOk()
    {
        await using var call = Start();
        for (uint i = 1; i <= 3; i++)
        {
            await call.WriteAsync(new UpdateStatus { NodeId = "n", Priority = i });
            var reply = await call.ReadAsync();
            Assert.That(reply!.PrepareUpdate.ImageVersion, Is.EqualTo(i));
        }
        await call.CompleteRequestAsync();
        Assert.That(await call.ReadAsync(), Is.Null);
        Assert.That(call.Status!.Code, Is.EqualTo(GrpcStatusCode.Ok));
    }

    [Test]
    public async Task Duplex_MessagesLargerThanTheFlowControlWindow_ArriveWhole()
    {
        // 2 MB is above Kestrel's 768 KiB stream window and 1 MiB connection window, so HttpClient sends each message in
        // parts as credit comes back. Every part must still be flushed: a flush queued together with the write (to save
        // a thread hop) goes out ahead of the parts that wait for credit and leaves the last one in the buffer.
        await using var call = Start();
        for (uint i = 1; i <= 3; i++)
        {
            await call.WriteAsync(new UpdateStatus { NodeId = new string((char)('a' + i), 2_000_000), Priority = i });
            Assert.That((await call.ReadAsync())!.PrepareUpdate.ImageVersion, Is.EqualTo(i));
        }
        await call.CompleteRequestAsync();
        Assert.That(await call.ReadAsync(), Is.Null);
    }

    [Test]
    public async Task Duplex_ServerFailsAfterReplying_StatusAndDecodedMessageInTrailers()
    {
        await using var call = Start();
        await call.WriteAsync(new UpdateStatus { NodeId = "n", Priority = 7 });
        Assert.That((await call.ReadAsync())!.PrepareUpdate.ImageVersion, Is.EqualTo(7));
        await call.WriteAsync(new UpdateStatus { NodeId = "refuse" });
        var e = Assert.ThrowsAsync<GrpcStatusException>(async () => await call.ReadAsync())!;
        Assert.That((e.Code, e.Detail), Is.EqualTo((GrpcStatusCode.FailedPrecondition, "rig says no: ä 100%")));
    }

    [Test]
    public async Task Duplex_ServerFailsBeforeReplying_TrailersOnly()
    {
        await using var call = Start();
        await call.WriteAsync(new UpdateStatus { NodeId = "refuse" });
        var e = Assert.ThrowsAsync<GrpcStatusException>(async () => await call.ReadAsync())!;
        Assert.That(e.Code, Is.EqualTo(GrpcStatusCode.FailedPrecondition));
    }

    [Test]
    public async Task Duplex_ClientSendsGarbage_GetsInternalAndTheServerKeepsServing()
    {
        await using (var call = Start())
        {
            await call.WriteRawAsync(new byte[] { 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF });
            var e = Assert.ThrowsAsync<GrpcStatusException>(async () => await call.ReadAsync())!;
            Assert.That(e.Code, Is.EqualTo(GrpcStatusCode.Internal));
            Assert.That(e.Detail, Does.StartWith("message 1 is not a valid UpdateStatus"));
        }
        await using var next = Start();
        await next.WriteAsync(new UpdateStatus { Priority = 2 });
        Assert.That((await next.ReadAsync())!.PrepareUpdate.ImageVersion, Is.EqualTo(2));
    }

    [Test]
    public async Task Duplex_UnknownMethod_Unimplemented()
    {
        await using var call = Start("/updatemanager.v2.UMService/Nope");
        await call.WriteAsync(new UpdateStatus());
        var e = Assert.ThrowsAsync<GrpcStatusException>(async () => await call.ReadAsync())!;
        Assert.That(e.Code, Is.EqualTo(GrpcStatusCode.Unimplemented));
    }
}
