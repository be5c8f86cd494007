using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Um;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using NUnit.Framework;

namespace HilRig.Update.Tests.Um;

public class UmClientTests
{
    [Test]
    public async Task RunAsync_StoppedWhileItsStreamWaitsForTheCm_EndsWithoutAnException()
    {
        // A CM that takes the call and never answers: the UM is stopped in the middle of its stream. This is the
        // moment a device service stops its UM, and the interop test met it when the UM was reconnecting.
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cm = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http2, async context =>
        {
            called.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        await using var node = new UmNode("um-stopped", new ModuleConfig("fw", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }));
        var handler = await node.Boot();
        using var http = GrpcClient.CreateHttpClient();
        var client = new UmClient(handler, new GrpcClient(http, cm.Address), TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        await called.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        Assert.That(async () => await run.WaitAsync(TimeSpan.FromSeconds(30)), Throws.Nothing);
    }
}
