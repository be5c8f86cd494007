using Grpc.Net.Client;
using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Protocol;
using HilRig.Update.Um;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
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
        using var channel = UmChannel.Create(cm.Address, new GrpcLinkOptions());
        var client = new UmClient(handler, new UMService.UMServiceClient(channel), new GrpcLinkOptions(), TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        await called.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        Assert.That(async () => await run.WaitAsync(TimeSpan.FromSeconds(30)), Throws.Nothing);
    }

    [Test]
    public async Task RunAsync_StoppedAsTheCmResetsItsStream_EndsWithoutAnException()
    {
        // CI met this once: the UM was being stopped when the CM reset its stream (INTERNAL_ERROR), the read failed
        // with the reset rather than the cancellation, and the stop surfaced it as an error. The reset and the stop
        // are fired together on many streams so that some reset lands just before its stop.
        const int umCount = 24;
        const int rounds = 8;
        for (var round = 0; round < rounds; round++)
        {
            var reset = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var calls = 0;
            var allCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using var cm = await KestrelHost.StartLoopbackAsync(HttpProtocols.Http2, async context =>
            {
                context.Response.ContentType = "application/grpc";
                await context.Response.StartAsync();
                await context.Response.BodyWriter.FlushAsync();
                if (Interlocked.Increment(ref calls) == umCount) allCalled.TrySetResult();
                await reset.Task;
                context.Features.Get<IHttpResetFeature>()!.Reset(2);
            }, CancellationToken.None);
            var nodes = new List<UmNode>();
            var channels = new List<GrpcChannel>();
            var stops = new List<CancellationTokenSource>();
            var runs = new List<Task>();
            try
            {
                for (var i = 0; i < umCount; i++)
                {
                    var node = new UmNode($"um-reset-{round}-{i}", new ModuleConfig("fw", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }));
                    nodes.Add(node);
                    var channel = UmChannel.Create(cm.Address, new GrpcLinkOptions());
                    channels.Add(channel);
                    var stop = new CancellationTokenSource();
                    stops.Add(stop);
                    runs.Add(new UmClient(await node.Boot(), new UMService.UMServiceClient(channel), new GrpcLinkOptions(), TimeProvider.System).RunAsync(stop.Token));
                }
                await allCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
                reset.SetResult();
                // Stops spread over the next milliseconds, so that for some UMs the reset has just been read.
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var i = 0; i < umCount; i++)
                {
                    while (clock.Elapsed < TimeSpan.FromMicroseconds(150 * i)) Thread.SpinWait(20);
                    await stops[i].CancelAsync();
                }
                foreach (var run in runs)
                    Assert.That(async () => await run.WaitAsync(TimeSpan.FromSeconds(30)), Throws.Nothing, $"round {round}");
            }
            finally
            {
                foreach (var stop in stops) stop.Dispose();
                foreach (var channel in channels) channel.Dispose();
                foreach (var node in nodes) await node.DisposeAsync();
            }
        }
    }
}
