using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using HilRig.Simulators.SimNet;
using HilRig.Simulators.Update;
using HilRig.Testing;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;
using HilRig.Update.Tests.Cm;
using NUnit.Framework;

namespace HilRig.Update.Tests.Security;

/// <summary>
/// The man in the middle the security scenarios put between a CM and its cloud, here on loopback in front of a real
/// cloud: a unit that trusts the cloud's CA takes it for the cloud; what it relays is the cloud's genuine offer, what it
/// replays carries the old nonce, what it re-signs passes the signature check and fails the direction check, and
/// without the cloud's signing key it can only relay. Other requests pass as they are.
/// </summary>
public class CheckInMitmTests
{
    [Test]
    public async Task RelaysReplaysAndResignsCheckInAnswers_PassesTheRest()
    {
        await using var rig = await UnitRig.StartAsync("mitm", startUnit: false);
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        using var attacker = UnitCredentials.Load(rig.Enroll(UnitRig.UnitId));
        var log = new StringWriter();
        await using var mitm = await CheckInMitm.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), e => NamespaceSockets.BoundTcp(null, e),
            X509Certificate2.CreateFromPemFile(rig.Cloud.Data.ServerCertificate, rig.Cloud.Data.ServerKey), rig.Cloud.Address,
            attacker.ConfigureTls(new SocketsHttpHandler()), new OfferForgery(), log, TimeProvider.System, default);
        using var unit = UnitCredentials.Load(rig.Enroll(UnitRig.UnitId));
        using var http = new HttpClient(unit.CreateHandler()) { BaseAddress = new Uri($"https://127.0.0.1:{mitm.Port}/") };

        async Task<UpdateOffer> CheckInAsync(string nonce)
        {
            using var response = await http.PostAsJsonAsync(CloudApi.CheckInPath.TrimStart('/'), new CheckInRequest(UnitRig.UnitId, UnitRig.Platform, 0, nonce), CloudApi.Json);
            response.EnsureSuccessStatusCode();
            // The next check-in past the cloud's throttle too: the attacks, not the throttle, are under test.
            await rig.Cloud.Service.TriggerAsync(UnitRig.UnitId);
            var answer = await response.Content.ReadFromJsonAsync<CheckInResponse>(CloudApi.Json);
            Assert.That(answer?.Offer, Is.Not.Null, $"the answer to check-in {nonce} carries no offer");
            return UpdateOffer.ReadVerified(JsonSerializer.SerializeToUtf8Bytes(answer!.Offer!.Value), rig.UnitTrust, DateTimeOffset.UtcNow, UnitRig.UnitId, nonce, 0);
        }

        Assert.That(await CheckInAsync("relayed"), Is.EqualTo(mitm.Forgery.RecordedOffer), "relayed as the cloud signed it, and kept");

        mitm.Forgery.Replay = true;
        var replayed = Assert.ThrowsAsync<BundleRejectedException>(() => CheckInAsync("later"))!;
        Assert.That((replayed.Reason, replayed.Detail), Is.EqualTo((BundleRejection.InvalidOffer, "offer answers check-in nonce relayed, not this check-in's later (replayed)")));
        mitm.Forgery.Replay = false;

        mitm.Forgery.Change = OfferForgery.Setting("direction", UpdateOffer.Previous);
        Assert.That((await CheckInAsync("no-key")).Direction, Is.EqualTo(UpdateOffer.Next), "without the cloud's key the offer cannot be changed");
        Assert.That(log.ToString(), Does.Contain("relayed unchanged: re-signing an offer needs the cloud's signing key, and this attacker has none"));

        mitm.Forgery.CloudKey = SigningKey.Load(RepoPaths.Fixtures("update", "test-only-cloud-signing.pem"));
        var resigned = Assert.ThrowsAsync<BundleRejectedException>(() => CheckInAsync("resigned"))!;
        Assert.That((resigned.Reason, resigned.Detail), Is.EqualTo((BundleRejection.WrongDirection, "the offer moves the unit to the previous image 1, but the installed image is 0")),
            "the signature held: only the direction check refused it");

        using (var report = await http.PostAsJsonAsync(CloudApi.ResultsPath.TrimStart('/'), new ResultReport(UnitRig.UnitId, 1, false, "wrong-direction", "through the proxy"), CloudApi.Json))
            Assert.That(report.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That((await rig.CloudResultsAsync()).Last().Reason, Is.EqualTo("wrong-direction"), "results reach the cloud through it");
        Assert.That(log.ToString(), Does.Contain($"POST {CloudApi.ResultsPath}").And.Contain("passed through"));
    }

    [Test]
    public void ChangingAFieldAnOfferDoesNotHave_SaysWhichItHas()
    {
        var e = Assert.Throws<ArgumentException>(() => OfferForgery.Setting("version", "2"))!;
        Assert.That(e.Message, Does.Contain("an offer has no field 'version'; it has unitId, nonce, imageVersion, direction"));
        Assert.That(Assert.Throws<ArgumentException>(() => OfferForgery.Setting("imageVersion", "two"))!.Message, Does.Contain("'two' is not an integer"));
    }
}
