using HilRig.Update.Cm;
using HilRig.Update.Protocol;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>The CM orchestrating three real UMs over loopback gRPC, fed by the real cloud.</summary>
public class CommunicationManagerTests
{
    [Test]
    public async Task CheckIn_NextVersion_AllUmsInstallAndTheCloudRecordsSuccess()
    {
        await using var rig = await UnitRig.StartAsync("cm-next");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        var result = await rig.Cm.CheckInAsync(default);

        Assert.That(result.Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
        foreach (var node in UnitRig.Nodes)
        {
            Assert.That(File.ReadAllText(rig.InstalledFile(node))[..(node.Length + 4)], Is.EqualTo($"{node} 2.0"));
            Assert.That(rig.Um(node).State.State, Is.EqualTo(UpdateState.Idle));
            Assert.That(rig.Um(node).Status().Components.Single(c => c.ComponentId == $"{node}-app").Version, Is.EqualTo("2.0"));
        }
        Assert.That(rig.Cm.Store.InstalledImageVersion, Is.EqualTo(version));
        Assert.That((await rig.CloudResultsAsync()).Single().Success, Is.True);
        Assert.That((await rig.Cm.CheckInAsync(default)).Reason, Is.EqualTo($"unit is on the cloud version {version}"));
    }

    [Test]
    public async Task CheckIn_OneUmFailsInUpdate_AllRevertAndTheCloudRecordsTheFailure()
    {
        await using var rig = await UnitRig.StartAsync("cm-fail");
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0", ("node-3-test", "t")));
        File.WriteAllText(rig.FailFile("node-3"), "update");

        var result = await rig.Cm.CheckInAsync(default);

        Assert.That(result.Outcome!.Success, Is.False);
        Assert.That(result.Outcome.Reason, Is.EqualTo("um-failed"));
        Assert.That(result.Outcome.Detail, Is.EqualTo("UM 'node-3' FAILED: module 'node-3-test' update: test module 'node-3-test' fails at update on request"));
        foreach (var node in UnitRig.Nodes)
        {
            Assert.That(File.Exists(rig.InstalledFile(node)), Is.False, $"{node} reverted its file");
            Assert.That(rig.Um(node).State.State, Is.EqualTo(UpdateState.Idle));
        }
        Assert.That(rig.TestModuleOf("node-3").Journal, Is.EqualTo(new[] { "init", "prepare:2.0", "update", "revert" }));
        var recorded = (await rig.CloudResultsAsync()).Single();
        Assert.That((recorded.Success, recorded.Reason), Is.EqualTo((false, "um-failed")));
        Assert.That(rig.Cm.Store.InstalledImageVersion, Is.Zero);
    }

    [Test]
    public async Task CmKilledBetweenStartAndApply_FinishesTheUpdateAfterRestart()
    {
        await using var rig = await UnitRig.StartAsync("cm-crash", startUnit: false);
        await rig.StartCmAsync(crashAt: "before-apply");
        foreach (var node in UnitRig.Nodes) await rig.StartUmAsync(node);
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "UMs registered");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));

        Assert.ThrowsAsync<CmCrashedException>(() => rig.Cm.CheckInAsync(default));
        Assert.That(UnitRig.Nodes.Select(n => rig.Um(n).State.State), Is.All.EqualTo(UpdateState.Updated));
        await rig.StopCmAsync();

        await rig.StartCmAsync();
        var outcome = await rig.CmRuntime.Resumption.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
        Assert.That(UnitRig.Nodes.Select(n => rig.Um(n).State.State), Is.All.EqualTo(UpdateState.Idle));
        Assert.That((await rig.CloudResultsAsync()).Single().Success, Is.True);
    }

    [Test]
    public async Task CmKilledAfterTheUpdateEndedButBeforeItsReport_DeliversTheResultAfterRestart()
    {
        // Issue 13 defect (found by reading; this test failed before the fix): the orchestrator ended the update in one
        // transaction and the CM wrote the result to report in another, so a CM killed between the two came back with
        // no update in progress and nothing to report: the cloud never heard of the update.
        await using var rig = await UnitRig.StartAsync("cm-crash-report", startUnit: false);
        await rig.StartCmAsync(crashAt: "before-report");
        foreach (var node in UnitRig.Nodes) await rig.StartUmAsync(node);
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "UMs registered");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));

        Assert.ThrowsAsync<CmCrashedException>(() => rig.Cm.CheckInAsync(default));
        Assert.That(await rig.CloudResultsAsync(), Is.Empty);
        await rig.StopCmAsync();

        await rig.StartCmAsync();
        await rig.CmRuntime.Resumption.WaitAsync(TimeSpan.FromSeconds(30));
        var result = (await rig.CloudResultsAsync()).Single();
        Assert.That((result.Success, result.ImageVersion), Is.EqualTo((true, version)));
        Assert.That(rig.Cm.Store.InstalledImageVersion, Is.EqualTo(version));
    }

    [Test]
    public async Task UmConnectingAfterTheCmTookItsSnapshot_DoesNotBreakTheCheckIn()
    {
        // Issue 13 defect (found by reading; this test failed before the fix with KeyNotFoundException): the CM read the
        // UMs' statuses, then the component owners in a second look, so a UM connecting in between owned a component
        // whose node had no status.
        await using var rig = await UnitRig.StartAsync("cm-late-um");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0", ("late-app", "late")));
        rig.Cm.UmsConnected = () =>
        {
            var late = new UpdateStatus { NodeId = "late", UpdateState = UpdateState.Idle };
            late.Components.Add(new ComponentStatus { ComponentId = "late-app", Version = "1.0" });
            rig.Cm.Registry.Attach("late", late, (_, _) => ValueTask.CompletedTask);
        };

        var outcome = (await rig.Cm.CheckInAsync(default)).Outcome!;

        Assert.That((outcome.Success, outcome.Reason), Is.EqualTo((false, "unknown-component")), outcome.Detail);
        Assert.That(outcome.ImageVersion, Is.EqualTo(version));
    }

    [Test]
    public async Task CmKilledBeforeStart_ContinuesFromPrepared()
    {
        await using var rig = await UnitRig.StartAsync("cm-crash-start", startUnit: false);
        await rig.StartCmAsync(crashAt: "before-start");
        foreach (var node in UnitRig.Nodes) await rig.StartUmAsync(node);
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "UMs registered");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        Assert.ThrowsAsync<CmCrashedException>(() => rig.Cm.CheckInAsync(default));
        Assert.That(UnitRig.Nodes.Select(n => rig.Um(n).State.State), Is.All.EqualTo(UpdateState.Prepared));
        await rig.StopCmAsync();
        await rig.StartCmAsync();
        Assert.That(await rig.CmRuntime.Resumption.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(UpdateOutcome.Installed(version)));
    }

    [Test]
    public async Task UmRestartedWhileUpdated_ReconnectsAndTheUpdateCompletes()
    {
        await using var rig = await UnitRig.StartAsync("um-restart", startUnit: false);
        await rig.StartCmAsync(crashAt: "before-apply");
        foreach (var node in UnitRig.Nodes) await rig.StartUmAsync(node);
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "UMs registered");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        Assert.ThrowsAsync<CmCrashedException>(() => rig.Cm.CheckInAsync(default));
        await rig.StopCmAsync();
        await rig.StopUmAsync("node-2");
        await rig.StartCmAsync();
        await rig.StartUmAsync("node-2");
        Assert.That(rig.Um("node-2").State.State, Is.EqualTo(UpdateState.Updated), "the UM's state survived its restart");
        Assert.That(await rig.CmRuntime.Resumption.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(UpdateOutcome.Installed(version)));
    }

    [Test]
    public async Task CmRestartedWithAFailedUm_RevertsAll()
    {
        await using var rig = await UnitRig.StartAsync("cm-failed-restart", startUnit: false);
        await rig.StartCmAsync(crashAt: "before-apply");
        foreach (var node in UnitRig.Nodes) await rig.StartUmAsync(node);
        await UnitRig.WaitAsync(() => rig.Cm.Registry.Statuses.Count == 3, "UMs registered");
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0", ("main-test", "t")));
        File.WriteAllText(rig.FailFile("main"), "apply");
        Assert.ThrowsAsync<CmCrashedException>(() => rig.Cm.CheckInAsync(default));
        await rig.StopCmAsync();
        await rig.StartCmAsync();
        var outcome = await rig.CmRuntime.Resumption.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That((outcome!.Success, outcome.Reason), Is.EqualTo((false, "um-failed")));
        Assert.That(UnitRig.Nodes.Select(n => rig.Um(n).State.State), Is.All.EqualTo(UpdateState.Idle));
    }

    [Test]
    public async Task HttpFileServerDeployment_UmsDownloadFromTheCm()
    {
        await using var rig = await UnitRig.StartAsync("cm-http", startUnit: false);
        rig.Deployment = ImageDeployment.HttpFileServer;
        await rig.StartUnitAsync();
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
        Assert.That(File.Exists(Path.Combine(rig.NodeDir("node-2"), "state", "download", "node-2-app.img")), Is.True);
    }

    [Test]
    public async Task UmSendingGarbage_GetsAGrpcErrorAndTheCmStaysUp()
    {
        await using var rig = await UnitRig.StartAsync("cm-garbage");
        using (var credentials = rig.NodeCa.Credentials("node-9", cm: false))
        using (var raw = new Grpc.RawUm(rig.CmAddress, credentials))
        using (var call = raw.Open())
        {
            await call.RequestStream.WriteAsync([0x0a, 0xff, 0xff, 0xff]);
            Assert.That((await Grpc.RawUm.EndOf(call)).StatusCode, Is.EqualTo(global::Grpc.Core.StatusCode.Internal));
        }
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
    }

    [Test]
    public async Task CheckIn_DecryptedImagesAreOnDiskBeforeThePlanNamesThem()
    {
        await using var rig = await UnitRig.StartAsync("cm-durable");
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        var events = new List<string>();
        Update.Storage.DurableFile.Observer.Value = e => { lock (events) events.Add(e); };

        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));

        var images = Path.Combine(rig.Cm.Config.ImageDirectory, version.ToString());
        foreach (var node in UnitRig.Nodes)
        {
            var image = Path.Combine(images, $"{node}-app");
            Assert.That(events, Does.Contain($"fsync {image}.hilrig-tmp").And.Contain($"rename {image}.hilrig-tmp -> {image}"));
        }
        Assert.That(events, Does.Contain($"fsync-dir {images}"));
    }

    [Test]
    public async Task CheckIn_PreparationEndsWithAnUnexpectedError_LeavesNoDecryptedImagesBehind()
    {
        await using var rig = await UnitRig.StartAsync("cm-prep-error", startUnit: false);
        rig.CmHttpInterceptor = new BrokenDownloads();
        await rig.StartUnitAsync();
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));

        Assert.ThrowsAsync<InvalidOperationException>(() => rig.Cm.CheckInAsync(default));

        Assert.That(Directory.Exists(Path.Combine(rig.Cm.Config.ImageDirectory, version.ToString())), Is.False);
        Assert.That(rig.Cm.Store.InProgress, Is.Null);
    }

    /// <summary>Fails every component download with an error the downloader does not know.</summary>
    private sealed class BrokenDownloads : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            request.RequestUri!.AbsolutePath.StartsWith("/files/", StringComparison.Ordinal)
                ? throw new InvalidOperationException("the download broke in an unexpected way")
                : base.SendAsync(request, ct);
    }
}
