using System.Net.Http.Json;
using System.Text.Json;
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
        // The first check-in installs image 1; its answer, replayed to the unit on image 1, fails the unit's checks.
        var forger = new OfferForger { Change = o => o };
        await using var rig = await RigAsync("down-replay", forger);
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        forger.Record = true;
        Assert.That((await rig.Cm.CheckInAsync(default)).Outcome, Is.EqualTo(UpdateOutcome.Installed(1)));
        forger.Record = false;
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
    /// Between the CM and the cloud: re-signs each offer the cloud makes, changed by <see cref="Change"/>, with the cloud's
    /// own (test-only) key, so only the CM's checks of the offer's content stand in the way. Can also play back the
    /// check-in answer it recorded.
    /// </summary>
    internal sealed class OfferForger() : DelegatingHandler(new HttpClientHandler())
    {
        private readonly SigningKey _cloudKey = SigningKey.Load(RepoPaths.Fixtures("update", "test-only-cloud-signing.pem"));
        private string? _recorded;

        public Func<UpdateOffer, UpdateOffer>? Change { get; set; }
        public bool Record { get; set; }
        public bool Replay { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            var response = await base.SendAsync(request, ct);
            if (request.RequestUri!.AbsolutePath != CloudApi.CheckInPath) return response;
            if (Replay && _recorded is not null) return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StringContent(_recorded, System.Text.Encoding.UTF8, "application/json") };
            var answer = await response.Content.ReadFromJsonAsync<CheckInResponse>(CloudApi.Json, ct);
            if (answer?.Offer is { } signed && Change is { } change)
            {
                var p = signed.GetProperty(UpdateOffer.PayloadName);
                var offer = change(new UpdateOffer(p.GetProperty("unitId").GetString()!, p.GetProperty("nonce").GetString()!, p.GetProperty("imageVersion").GetInt64(),
                    p.GetProperty("direction").GetString()!, p.GetProperty("manual").GetBoolean(), p.GetProperty("metadataSha256").GetString()!, p.GetProperty("reportedImageVersion").GetInt64()));
                using var resigned = JsonDocument.Parse(offer.Sign(_cloudKey));
                answer = answer with { Offer = resigned.RootElement.Clone() };
            }
            var json = JsonSerializer.Serialize(answer, CloudApi.Json);
            if (Record) _recorded = json;
            return new HttpResponseMessage(response.StatusCode) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _cloudKey.Dispose();
            base.Dispose(disposing);
        }
    }
}
