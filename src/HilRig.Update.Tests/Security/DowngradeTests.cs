using HilRig.Simulators.Update;
using HilRig.Testing;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Cm;
using HilRig.Update.Protocol;
using HilRig.Update.Tests.Cm;
using NUnit.Framework;

namespace HilRig.Update.Tests.Security;

/// <summary>
/// Issue 13, downgrades only by the cloud's signed word: the offer signs the version the check-in reported and its
/// direction, the CM checks both against its installed version, a bundle may not mark itself a downgrade, and the
/// installed counter goes down only for a signed previous-version offer. Each attack is refused with its reason, no
/// module runs, and the unit still updates normally afterwards.
/// </summary>
public class DowngradeTests
{
    private static async Task AssertRefusedAsync(UnitRig rig, string reason, string detail)
    {
        var outcome = (await rig.Cm.CheckInAsync(default)).Outcome!;
        Assert.That((outcome.Success, outcome.Reason), Is.EqualTo((false, reason)), outcome.Detail);
        Assert.That(outcome.Detail, Does.Contain(detail));
        Assert.That(rig.TestModuleOf("main").Journal, Is.EqualTo(new[] { "init" }), "no module ran");
        Assert.That(UnitRig.Nodes.Select(n => rig.Um(n).State.State), Is.All.EqualTo(UpdateState.Idle));
        Assert.That((await rig.CloudResultsAsync()).Last().Reason, Is.EqualTo(reason), "the cloud is told why");
    }

    /// <summary>Afterwards, with the attacker gone, the same image (offered honestly now, past the throttle) installs.</summary>
    private static async Task StillUpdatesAsync(UnitRig rig, OfferForger forger, long version)
    {
        forger.Change = null;
        await rig.Cloud.Service.TriggerAsync(UnitRig.UnitId);
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
    }

    [Test]
    public async Task BundleThatMarksItselfADowngrade_Refused()
    {
        await using var rig = await UnitRig.StartAsync("down-annotation");
        rig.Annotations["main-app"] = """{"hilrig.downgrade": true, "note": "trust me"}""";
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        await AssertRefusedAsync(rig, "forbidden-annotation", "component 'main-app' carries the annotation 'hilrig.downgrade', which only the CM may set");
        // The OEM withdraws the bundle (the latest may be deleted) and uploads a good one: it installs.
        rig.Annotations.Clear();
        await rig.Cloud.Service.DeleteAsync(UnitRig.Platform, 1);
        await rig.Cloud.Service.TriggerAsync(UnitRig.UnitId);
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("3.0"));
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(version)));
    }

    [Test]
    public async Task OfferOfTheWrongDirection_Refused()
    {
        // A man in the middle with the cloud's key (or a cloud bug) offers image 1 as the "previous" one to a unit on 0.
        var forger = new OfferForger { Change = o => o with { Direction = UpdateOffer.Previous } };
        await using var rig = await RigAsync("down-direction", forger);
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        await AssertRefusedAsync(rig, "wrong-direction", "the offer moves the unit to the previous image 1, but the installed image is 0");
        await StillUpdatesAsync(rig, forger, version);
    }

    [Test]
    public async Task OfferForAnotherReportedVersion_Refused()
    {
        var forger = new OfferForger { Change = o => o with { ReportedImageVersion = 7 } };
        await using var rig = await RigAsync("down-reported", forger);
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        await AssertRefusedAsync(rig, "invalid-offer", "offer answers a check-in that reported image 7, this unit has image 0 installed");
        await StillUpdatesAsync(rig, forger, version);
    }

    [Test]
    public async Task ReplayedOffer_Refused()
    {
        // The answer to an earlier check-in, cloud-signed and valid then, played back to a later one.
        // The first check-in installs image 1; its answer (kept as relayed), replayed to the unit on image 1, fails the unit's checks.
        var forger = new OfferForger();
        await using var rig = await RigAsync("down-replay", forger);
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(1)));
        forger.Replay = true;
        await rig.Cloud.Service.TriggerAsync(UnitRig.UnitId);
        var outcome = (await rig.Cm.CheckInAsync(default)).Outcome;
        forger.Replay = false;
        Assert.That(outcome, Is.Not.Null);
        Assert.That((outcome!.Success, outcome.Reason), Is.EqualTo((false, "invalid-offer")), outcome.Detail);
        Assert.That(outcome.Detail, Does.Contain("(replayed)"));
        var next = await rig.UploadAsync(await rig.MakeBundleAsync("3.0"));
        await StillUpdatesAsync(rig, forger, next);
    }

    [Test]
    public void InstalledCounter_GoesDownOnlyForASignedDowngrade()
    {
        using var store = new CmStateStore(Path.Combine(RepoPaths.NewTempDirectory("down-counter"), "cm.db"));
        store.Finish(installed: 3);
        store.Finish(installed: 2);
        Assert.That(store.InstalledImageVersion, Is.EqualTo(3), "an older image finishing by accident does not move it back");
        store.Finish(installed: 2, downgrade: true);
        Assert.That(store.InstalledImageVersion, Is.EqualTo(2), "the cloud's signed previous-version offer does");
    }

    private static async Task<UnitRig> RigAsync(string name, OfferForger forger)
    {
        var rig = await UnitRig.StartAsync(name, startUnit: false);
        rig.CmHttpInterceptor = forger;
        await rig.StartUnitAsync();
        return rig;
    }

    /// <summary>
    /// Between the CM and the cloud, in process: each check-in answer goes through the <see cref="OfferForgery"/> the
    /// scenarios' man in the middle uses, with the cloud's own (test-only) key, so only the CM's checks of the offer's
    /// content stand in the way.
    /// </summary>
    internal sealed class OfferForger() : DelegatingHandler(new HttpClientHandler())
    {
        private readonly OfferForgery _forgery = new() { CloudKey = SigningKey.Load(RepoPaths.Fixtures("update", "test-only-cloud-signing.pem")) };

        public Func<UpdateOffer, UpdateOffer>? Change
        {
            get => _forgery.Change;
            set => _forgery.Change = value;
        }

        public bool Replay
        {
            get => _forgery.Replay;
            set => _forgery.Replay = value;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            if (request.RequestUri!.AbsolutePath != CloudApi.CheckInPath || !response.IsSuccessStatusCode) return response;
            var (answer, _) = _forgery.Answer(await response.Content.ReadAsStringAsync(ct));
            response.Dispose();
            return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(answer, System.Text.Encoding.UTF8, "application/json") };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _forgery.Dispose();
            base.Dispose(disposing);
        }
    }
}
