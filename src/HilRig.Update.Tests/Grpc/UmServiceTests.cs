using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using HilRig.Testing;
using HilRig.Update.Cm;
using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Protocol;
using HilRig.Update.Tests.Um;
using HilRig.Update.Um;
using NUnit.Framework;

namespace HilRig.Update.Tests.Grpc;

/// <summary>
/// The CM's RegisterUM on Grpc.AspNetCore against real gRPC clients over loopback HTTP/2: what a peer can get wrong
/// ends only its own stream, with the status that says what; the stream's deadline and the keep-alive pings bound
/// every wait.
/// </summary>
public class UmServiceTests
{
    private static readonly GrpcLinkOptions Link = new() { RegistrationTimeout = TimeSpan.FromSeconds(2), ReconnectGrace = TimeSpan.FromSeconds(10) };

    private sealed class Cm(UmRegistry registry, KestrelHost host) : IAsyncDisposable
    {
        public UmRegistry Registry { get; } = registry;
        public Uri Address => host.Address;

        public static async Task<Cm> StartAsync(GrpcLinkOptions? link = null)
        {
            link ??= Link;
            var registry = new UmRegistry(TimeProvider.System) { ReconnectGrace = link.ReconnectGrace };
            return new Cm(registry, await UmServiceHost.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), registry, link, TimeProvider.System));
        }

        /// <summary>A command to the node is answered (the UM's next status arrives).</summary>
        public async Task RoundTripAsync(string node)
        {
            var before = Interlocked.Read(ref Registry.StatusesReceived);
            await Registry.SendAsync(node, UmNode.Revert, CancellationToken.None);
            await Registry.WaitAsync(_ => Interlocked.Read(ref Registry.StatusesReceived) > before, TimeSpan.FromSeconds(10), $"{node} to answer", CancellationToken.None);
        }

        public ValueTask DisposeAsync() => host.DisposeAsync();
    }

    /// <summary>A well-behaved UM on the generated client: registers, answers every command with its status.</summary>
    private static async Task EchoUmAsync(GrpcChannel channel, string node, CancellationToken ct)
    {
        var status = new UpdateStatus { NodeId = node, UpdateState = UpdateState.Idle };
        try
        {
            using var call = new UMService.UMServiceClient(channel).RegisterUM(deadline: DateTime.UtcNow.AddMinutes(5), cancellationToken: ct);
            await call.RequestStream.WriteAsync(status, ct);
            while (await call.ResponseStream.MoveNext(ct)) await call.RequestStream.WriteAsync(status, ct);
        }
        catch (RpcException) when (ct.IsCancellationRequested) { }
    }

    private static async Task<(Task Run, CancellationTokenSource Stop, GrpcChannel Channel)> StartEchoAsync(Cm cm, string node)
    {
        var channel = UmChannel.Create(cm.Address, Link);
        var stop = new CancellationTokenSource();
        var run = EchoUmAsync(channel, node, stop.Token);
        await cm.Registry.WaitAsync(s => s.ContainsKey(node), TimeSpan.FromSeconds(10), $"{node} to register", CancellationToken.None);
        return (run, stop, channel);
    }

    [Test]
    public async Task Garbage_EndsThatStreamWithInternal_TheCmServesTheOtherUms()
    {
        await using var cm = await Cm.StartAsync();
        var (run, stop, channel) = await StartEchoAsync(cm, "good");
        using var raw = new RawUm(cm.Address);
        using var call = raw.Open();
        await call.RequestStream.WriteAsync([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);

        var status = await RawUm.EndOf(call);

        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.Internal));
        Assert.That(status.Detail, Does.StartWith("message 1 is not a valid UpdateStatus"));
        await cm.RoundTripAsync("good");
        await stop.CancelAsync();
        await run;
        channel.Dispose();
    }

    [Test]
    public async Task MessageAboveTheLimit_ResourceExhausted_TheCmServesTheOtherUms()
    {
        await using var cm = await Cm.StartAsync();
        var (run, stop, channel) = await StartEchoAsync(cm, "good");
        using var raw = new RawUm(cm.Address);
        using var call = raw.Open();
        // The CM ends the call as soon as it reads the length prefix: the rest of the write may meet a reset stream.
        try { await call.RequestStream.WriteAsync(new byte[Link.MaxMessageSize + 1]); }
        catch (Exception e) when (e is IOException or RpcException) { }

        var status = await RawUm.EndOf(call);

        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted), status.Detail);
        await cm.RoundTripAsync("good");
        await stop.CancelAsync();
        await run;
        channel.Dispose();
    }

    [Test]
    public async Task StreamThatSaysNothing_EndsWithDeadlineExceeded()
    {
        await using var cm = await Cm.StartAsync();
        using var raw = new RawUm(cm.Address);
        using var call = raw.Open();
        var status = await RawUm.EndOf(call);
        Assert.That((status.StatusCode, status.Detail), Is.EqualTo((StatusCode.DeadlineExceeded, "no UpdateStatus within 2 s of opening the stream")));
        Assert.That(cm.Registry.Statuses, Is.Empty);
    }

    [Test]
    public async Task FirstStatusWithoutNodeId_InvalidArgument()
    {
        await using var cm = await Cm.StartAsync();
        using var raw = new RawUm(cm.Address);
        using var call = raw.Open();
        await call.RequestStream.WriteAsync(Google.Protobuf.MessageExtensions.ToByteArray(new UpdateStatus { UpdateState = UpdateState.Idle }));
        var status = await RawUm.EndOf(call);
        Assert.That((status.StatusCode, status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "the first UpdateStatus must carry node_id")));
    }

    [Test]
    public async Task StatusForAnotherNode_InvalidArgument_AndTheNodeIsGone()
    {
        await using var cm = await Cm.StartAsync();
        using var raw = new RawUm(cm.Address);
        using var call = raw.Open();
        await call.RequestStream.WriteAsync(Google.Protobuf.MessageExtensions.ToByteArray(new UpdateStatus { NodeId = "a" }));
        await cm.Registry.WaitAsync(s => s.ContainsKey("a"), TimeSpan.FromSeconds(10), "a to register", CancellationToken.None);
        await call.RequestStream.WriteAsync(Google.Protobuf.MessageExtensions.ToByteArray(new UpdateStatus { NodeId = "b" }));
        var status = await RawUm.EndOf(call);
        Assert.That((status.StatusCode, status.Detail), Is.EqualTo((StatusCode.InvalidArgument, "stream registered as 'a' sent a status for 'b'")));
        await cm.Registry.WaitAsync(s => s.Count == 0, TimeSpan.FromSeconds(10), "a to be detached", CancellationToken.None);
    }

    [Test]
    public async Task UnknownMethod_Unimplemented()
    {
        await using var cm = await Cm.StartAsync();
        using var channel = GrpcChannel.ForAddress(cm.Address);
        var marshaller = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, "updatemanager.v2.UMService", "Nope", marshaller, marshaller);
        var e = Assert.ThrowsAsync<RpcException>(async () => await channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), []))!;
        Assert.That(e.StatusCode, Is.EqualTo(StatusCode.Unimplemented));
    }

    [Test]
    public async Task StreamLease_RunsOut_TheUmOpensTheNextAtOnce_CommandsStillArrive()
    {
        await using var cm = await Cm.StartAsync();
        var link = Link with { StreamLifetime = TimeSpan.FromSeconds(1) };
        await using var node = new UmNode("um-lease", new ModuleConfig("fw", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }));
        using var channel = UmChannel.Create(cm.Address, link);
        var client = new UmClient(await node.Boot(), new UMService.UMServiceClient(channel), link, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);

        // Commands sent across several lease ends all arrive: a UM between two streams is waited for.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (client.Connections < 4)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the UM did not renew its stream");
            await cm.RoundTripAsync("um-lease");
        }
        Assert.That(client.LastStreamEnd!.Code, Is.EqualTo(StatusCode.DeadlineExceeded));
        await stop.CancelAsync();
        await run;
    }

    [Test]
    public async Task PeerThatGoesSilent_KeepAlivePingsNoticeItAtBothEnds()
    {
        var link = Link with { KeepAlivePingDelay = TimeSpan.FromSeconds(1), KeepAlivePingTimeout = TimeSpan.FromSeconds(1) };
        await using var cm = await Cm.StartAsync(link);
        await using var relay = new TcpRelay(cm.Address);
        await using var node = new UmNode("um-silent", new ModuleConfig("fw", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }));
        using var channel = UmChannel.Create(relay.Address, link);
        var client = new UmClient(await node.Boot(), new UMService.UMServiceClient(channel), link, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var run = client.RunAsync(stop.Token);
        await cm.Registry.WaitAsync(s => s.ContainsKey("um-silent"), TimeSpan.FromSeconds(10), "the UM to register", CancellationToken.None);

        relay.Freeze();
        await cm.Registry.WaitAsync(s => s.Count == 0, TimeSpan.FromSeconds(15), "the CM to drop the silent UM", CancellationToken.None);
        await Eventually.TrueAsync(() => client.State != CmLinkState.Registered, TimeSpan.FromSeconds(15), "the UM to notice the silent CM");
        Assert.That(client.LastStreamEnd!.Then, Is.EqualTo(CmLinkState.Reconnecting), client.LastStreamEnd.ToString());

        relay.Thaw();
        await cm.Registry.WaitAsync(s => s.ContainsKey("um-silent"), TimeSpan.FromSeconds(15), "the UM to register again", CancellationToken.None);
        await stop.CancelAsync();
        await run;
    }

    [TestCase(StatusCode.OK, CmLinkState.Reconnecting)]
    [TestCase(StatusCode.Unavailable, CmLinkState.Reconnecting)]
    [TestCase(StatusCode.Cancelled, CmLinkState.Reconnecting)]
    [TestCase(StatusCode.Internal, CmLinkState.Reconnecting)]
    [TestCase(StatusCode.DeadlineExceeded, CmLinkState.Reconnecting)]
    [TestCase(StatusCode.AlreadyExists, CmLinkState.Reconnecting)]
    [TestCase(StatusCode.Unauthenticated, CmLinkState.Refused)]
    [TestCase(StatusCode.PermissionDenied, CmLinkState.Refused)]
    [TestCase(StatusCode.InvalidArgument, CmLinkState.Refused)]
    [TestCase(StatusCode.ResourceExhausted, CmLinkState.Refused)]
    [TestCase(StatusCode.Unimplemented, CmLinkState.Refused)]
    public void StreamEnd_MapsTheStatusToTheLinkState(StatusCode code, CmLinkState state) =>
        Assert.That(new StreamEnd(code, "").Then, Is.EqualTo(state));
}
