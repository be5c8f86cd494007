using Grpc.Net.Client;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using HilRig.Update.Cm;
using HilRig.Update.Grpc;
using HilRig.Update.Hosting;
using HilRig.Update.Protocol;
using HilRig.Update.Security;
using HilRig.Update.Tests.Cm;
using HilRig.Update.Tests.Um;
using HilRig.Update.Um;
using NUnit.Framework;

namespace HilRig.Update.Tests.Security;

/// <summary>
/// Issue 13, UMs authenticate to the CM: mutual TLS with node certificates of the unit's node CA, the node id the
/// certificate names, one registration per node. Each rogue UM is refused with its reason, recorded on the CM, and the
/// unit still updates normally afterwards.
/// </summary>
public class MutualTlsTests
{
    /// <summary>A UM of its own, outside the rig's three, with whatever credentials the attack needs.</summary>
    private static async Task<(UmClient Client, Task Run, CancellationTokenSource Stop, GrpcChannel Channel, UmNode Node)> RogueAsync(
        UnitRig rig, string nodeId, NodeCredentials? credentials, Uri? address = null)
    {
        var node = new UmNode($"rogue-{nodeId}", new ModuleConfig($"{nodeId}-app", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }));
        node.Config = node.Config with { NodeId = nodeId };
        var link = new GrpcLinkOptions { RefusedRetryDelay = TimeSpan.FromSeconds(1) };
        var channel = UmChannel.Create(address ?? rig.CmAddress, link, credentials);
        var client = new UmClient(await node.Boot(), new UMService.UMServiceClient(channel), link, TimeProvider.System);
        var stop = new CancellationTokenSource();
        return (client, client.RunAsync(stop.Token), stop, channel, node);
    }

    private static async Task StopAsync((UmClient Client, Task Run, CancellationTokenSource Stop, GrpcChannel Channel, UmNode Node) rogue)
    {
        await rogue.Stop.CancelAsync();
        await rogue.Run;
        rogue.Channel.Dispose();
        await rogue.Node.DisposeAsync();
        rogue.Stop.Dispose();
    }

    private static async Task<Refusal> RefusalAsync(UnitRig rig, Func<Refusal, bool> match, string what)
    {
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Refusals.Any(match), what);
        return rig.Cm.Registry.Refusals.First(match);
    }

    /// <summary>The unit after the attack: every node still registered, and an update still installs.</summary>
    private static async Task StillUpdatesAsync(UnitRig rig)
    {
        Assert.That(rig.Cm.Registry.Statuses.Keys, Is.EquivalentTo(UnitRig.Nodes));
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
    }

    [Test]
    public async Task UmWithACertificateOfAnotherCa_RefusedInTheHandshake()
    {
        await using var rig = await UnitRig.StartAsync("tls-other-ca");
        using var stranger = UnitCa.Create("another unit");
        using var credentials = stranger.Credentials("node-9", cm: false);
        var rogue = await RogueAsync(rig, "node-9", credentials);

        var refusal = await RefusalAsync(rig, r => r.Reason.Contains("CN=node-9"), "the CM to refuse node-9");
        Assert.That(refusal.Reason, Does.StartWith("TLS (RegisterUM): certificate 'CN=node-9'").And.EndWith($"is not issued by this unit's node CA '{rig.NodeCa.Certificate.Subject}'"));
        Assert.That(rogue.Client.State, Is.Not.EqualTo(CmLinkState.Registered));
        Assert.That(rig.Cm.Registry.Statuses.ContainsKey("node-9"), Is.False);
        await StopAsync(rogue);
        await StillUpdatesAsync(rig);
    }

    [Test]
    public async Task UmWithoutACertificate_RefusedInTheHandshake()
    {
        await using var rig = await UnitRig.StartAsync("tls-no-cert");
        // TLS that trusts the CM but presents nothing of its own.
        using var ca = new NodeCredentials(rig.NodeCa.Issue("nobody", cm: false), X509CertificateLoader.LoadCertificate(rig.NodeCa.Certificate.RawData));
        var handler = UmChannel.Handler(new GrpcLinkOptions(), ca);
        handler.SslOptions.ClientCertificates = null;
        handler.SslOptions.LocalCertificateSelectionCallback = null;
        using var channel = GrpcChannel.ForAddress(rig.CmAddress, new GrpcChannelOptions { HttpHandler = handler });
        using var call = new UMService.UMServiceClient(channel).RegisterUM(deadline: DateTime.UtcNow.AddSeconds(20));
        await call.RequestStream.WriteAsync(new UpdateStatus { NodeId = "node-9" });
        var e = Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext())!;
        Assert.That((e.StatusCode, e.Status.Detail), Is.EqualTo((StatusCode.Unauthenticated, "no certificate presented")));
        var refusal = await RefusalAsync(rig, r => r.Reason.Contains("no certificate presented"), "the CM to refuse the certificate-less UM");
        Assert.That((refusal.Node, refusal.Reason), Is.EqualTo(("node-9", "Unauthenticated: no certificate presented")));
        Assert.That(rig.Cm.Registry.Statuses.ContainsKey("node-9"), Is.False);
        await StillUpdatesAsync(rig);
    }

    [Test]
    public async Task UmWithAnExpiredCertificate_RefusedInTheHandshake()
    {
        await using var rig = await UnitRig.StartAsync("tls-expired");
        using var issued = rig.NodeCa.Issue("node-9", cm: false, notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        using var key = issued.GetECDsaPrivateKey()!;
        using var credentials = new NodeCredentials(X509Certificate2.CreateFromPem(issued.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()),
            X509CertificateLoader.LoadCertificate(rig.NodeCa.Certificate.RawData));
        var rogue = await RogueAsync(rig, "node-9", credentials);
        var refusal = await RefusalAsync(rig, r => r.Reason.Contains("CN=node-9"), "the CM to refuse node-9");
        Assert.That(refusal.Reason, Does.Contain("is not valid now"));
        await StopAsync(rogue);
        await StillUpdatesAsync(rig);
    }

    [Test]
    public async Task UmRegisteringAsAnotherNode_PermissionDenied()
    {
        await using var rig = await UnitRig.StartAsync("tls-impostor");
        await rig.StopUmAsync("node-3");
        // node-2's own certificate, but the stream says it is node-3.
        using var credentials = rig.NodeCa.Credentials("node-2", cm: false);
        var rogue = await RogueAsync(rig, "node-3", credentials);

        await UnitRig.WaitAsync(() => rogue.Client.State == CmLinkState.Refused, "the impostor to be refused");
        Assert.That(rogue.Client.LastStreamEnd, Is.EqualTo(new StreamEnd(StatusCode.PermissionDenied, "the certificate is for node 'node-2', the stream registers as 'node-3'")));
        var refusal = rig.Cm.Registry.Refusals.Single(r => r.Node == "node-3");
        Assert.That(refusal.Reason, Is.EqualTo("PermissionDenied: the certificate is for node 'node-2', the stream registers as 'node-3'"));
        Assert.That(rig.Cm.Registry.Statuses.ContainsKey("node-3"), Is.False);
        await StopAsync(rogue);
        await rig.StartUmAsync("node-3");
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "node-3 back");
        await StillUpdatesAsync(rig);
    }

    [Test]
    public async Task SecondRegistrationOfAConnectedNode_RefusedNotSwappedIn()
    {
        await using var rig = await UnitRig.StartAsync("tls-second");
        // The same node's credentials (a copy of its identity): the registration that holds the node keeps it.
        using var credentials = rig.NodeCa.Credentials("node-2", cm: false);
        var rogue = await RogueAsync(rig, "node-2", credentials);

        await UnitRig.WaitAsync(() => rogue.Client.LastStreamEnd?.Code == StatusCode.AlreadyExists, "the second registration to be refused");
        Assert.That(rogue.Client.LastStreamEnd!.Detail, Does.StartWith("node 'node-2' is already registered (from ").And.EndWith("); a second registration is refused"));
        Assert.That(rogue.Client.Connections, Is.Zero, "it never got the stream");
        await StopAsync(rogue);
        await StillUpdatesAsync(rig);
    }

    [Test]
    public async Task CmWithACertificateOfAnotherCa_TheUmDoesNotTalkToIt()
    {
        await using var rig = await UnitRig.StartAsync("tls-rogue-cm", startUnit: false);
        using var stranger = UnitCa.Create("rogue");
        var registry = new UmRegistry(TimeProvider.System);
        using var rogueCredentials = stranger.Credentials("main", cm: true, UnitRig.CmNames);
        await using var rogueCm = await UmServiceHost.StartAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), registry, new GrpcLinkOptions(), TimeProvider.System,
            credentials: rogueCredentials);
        using var credentials = rig.NodeCa.Credentials("node-2", cm: false);
        var um = await RogueAsync(rig, "node-2", credentials, new Uri($"https://127.0.0.1:{rogueCm.Port}/"));

        await UnitRig.WaitAsync(() => um.Client.LastStreamEnd is not null, "the UM to give up on the rogue CM");
        Assert.That(um.Client.LastStreamEnd!.Detail, Does.Contain("SSL connection could not be established"));
        Assert.That(registry.Statuses, Is.Empty, "the UM told the rogue CM nothing");
        await StopAsync(um);
    }
}
