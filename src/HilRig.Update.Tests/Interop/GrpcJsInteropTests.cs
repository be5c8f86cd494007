using System.Security.Cryptography;
using HilRig.Update.Cm;
using Grpc.Core;
using HilRig.Update.Grpc;
using HilRig.Update.Protocol;
using HilRig.Update.Security;
using HilRig.Update.Tests.Cm;
using HilRig.Update.Um;
using NUnit.Framework;

namespace HilRig.Update.Tests.Interop;

/// <summary>
/// Our gRPC stack (Grpc.AspNetCore on the CM, Grpc.Net.Client on the UM) against another implementation: a
/// <c>@grpc/grpc-js</c> UM drives through our CM's RegisterUM, and our UM runs an update from a grpc-js CM that ends the
/// call with a non-OK status. Both bidirectional, over loopback HTTP/2 with mutual TLS 1.3 and node certificates of one
/// unit CA, as the unit runs it.
/// </summary>
[Category("interop")]
public class GrpcJsInteropTests
{
    [OneTimeSetUp]
    public Task Install() => NodePeer.EnsureInstalledAsync();

    private static async Task<UnitRig> RigForJsUm(string name)
    {
        var rig = await UnitRig.StartAsync(name, startUnit: false);
        rig.ExpectedNodes = ["js-node"];
        await rig.StartCmAsync();
        return rig;
    }

    [Test]
    public async Task GrpcJsUm_AgainstOurCm_RunsPrepareStartApply()
    {
        await using var rig = await RigForJsUm("interop-js-um");
        await using var um = NodePeer.Start("um-client.js", "--address", $"127.0.0.1:{rig.CmAddress.Port}", "--tls", rig.ProvisionFiles("js-node"), "--node-id", "js-node", "--component", "js-comp");
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.ContainsKey("js-node"), "the grpc-js UM to register");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0", nodeApps: false, ("js-comp", "js payload")));

        var result = await rig.Cm.CheckInAsync(default);

        Assert.That(result.Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
        var received = um.Events.Where(e => NodePeer.Is(e, "received")).Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.That(received, Is.EqualTo(new[] { "prepare_update", "start_update", "apply_update" }));
        var prepare = um.Events.First(e => NodePeer.Is(e, "received"));
        Assert.That(prepare.GetProperty("imageVersion").GetInt64(), Is.EqualTo(version));
        Assert.That(rig.Cm.Registry.Statuses["js-node"].Components.Single().Version, Is.EqualTo("2.0"));
    }

    [Test]
    public async Task GrpcJsUm_FailingUpdate_IsRevertedByOurCm()
    {
        await using var rig = await RigForJsUm("interop-js-fail");
        await using var um = NodePeer.Start("um-client.js", "--address", $"127.0.0.1:{rig.CmAddress.Port}", "--tls", rig.ProvisionFiles("js-node"), "--node-id", "js-node", "--component", "js-comp", "--mode", "fail-update");
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.ContainsKey("js-node"), "the grpc-js UM to register");
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0", nodeApps: false, ("js-comp", "js payload")));
        var outcome = (await rig.Cm.CheckInAsync(default)).Outcome!;
        Assert.That((outcome.Success, outcome.Detail), Is.EqualTo((false, "UM 'js-node' FAILED: js module refused the update")));
        await um.WaitForEventAsync(e => NodePeer.Is(e, "reverted"), "revert");
    }

    [Test]
    public async Task GrpcJsClientSendingGarbage_GetsInternalFromOurCm()
    {
        await using var rig = await RigForJsUm("interop-js-garbage");
        await using var um = NodePeer.Start("um-client.js", "--address", $"127.0.0.1:{rig.CmAddress.Port}", "--tls", rig.ProvisionFiles("js-node"), "--mode", "garbage");
        var status = await um.WaitForEventAsync(e => NodePeer.Is(e, "status"), "a status");
        Assert.That(status.GetProperty("code").GetInt32(), Is.EqualTo((int)StatusCode.Internal));
        Assert.That(status.GetProperty("details").GetString(), Does.StartWith("message 1 is not a valid UpdateStatus"));
    }

    [Test]
    public async Task OurUm_AgainstGrpcJsCm_UpdatesAndSeesItsNonOkStatus()
    {
        await using var node = new Um.UmNode("interop-our-um", new ModuleConfig("fw", "test", Params: new Dictionary<string, string> { ["version"] = "1.0" }));
        using var ca = UnitCa.Create("interop");
        var image = node.Image("fw.img", "firmware 2.0");
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(image)));
        await using var cm = NodePeer.Start("cm-server.js", "--port", "0", "--component", "fw", "--version", "2.0",
            "--url", new Uri(image).AbsoluteUri, "--sha256", sha, "--size", new FileInfo(image).Length.ToString(), "--image", "9",
            "--tls", ca.Provision(Path.Combine(node.Directory, "js-cm"), "js-cm", cm: true, ["127.0.0.1"]));
        var port = (await cm.WaitForEventAsync(e => NodePeer.Is(e, "listening"), "listening")).GetProperty("port").GetInt32();

        var handler = await node.Boot();
        var link = new GrpcLinkOptions();
        using var credentials = ca.Credentials("fw-node", cm: false);
        using var channel = UmChannel.Create(new Uri($"https://127.0.0.1:{port}/"), link, credentials);
        var client = new UmClient(handler, new UMService.UMServiceClient(channel), link, TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => client.RunAsync(cts.Token));
        await UnitRig.WaitAsync(() => client.LastStreamEnd is not null, "the grpc-js CM to end the call");
        await cts.CancelAsync();
        await run;
        // The call's end can reach us before the CM's last status line does; "done" follows every status it logged.
        await cm.WaitForEventAsync(e => NodePeer.Is(e, "done"), "the grpc-js CM to log the end of the exchange");

        Assert.That((client.LastStreamEnd!.Code, client.LastStreamEnd.Detail), Is.EqualTo((StatusCode.FailedPrecondition, "cm says no: ä 100%")));
        Assert.That(client.State, Is.EqualTo(CmLinkState.Refused), "FailedPrecondition: the CM refused what this UM sent");
        var states = cm.Events.Where(e => NodePeer.Is(e, "status")).Select(e => e.GetProperty("state").GetString()).ToList();
        Assert.That(states, Is.EqualTo(new[] { "IDLE", "PREPARED", "UPDATED", "IDLE" }));
        Assert.That(handler.Status().Components.Single().Version, Is.EqualTo("2.0"));
        Assert.That(handler.State.InstalledImageVersion, Is.EqualTo(9));
    }
}
