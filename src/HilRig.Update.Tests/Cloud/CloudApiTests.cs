using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HilRig.Testing;
using HilRig.Update.Cloud;
using HilRig.Update.Tests.Cm;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

/// <summary>The cloud exe's HTTPS API on Kestrel + SQLite, with its clock in virtual time: units by certificate, operators by token.</summary>
public class CloudApiTests
{
    private static async Task<CheckInResponse> CheckIn(UnitRig rig, long version, string unit = "u1")
    {
        using var r = await rig.UnitClient(unit).PostAsJsonAsync(new Uri(rig.Cloud.Address, "api/checkin"), new CheckInRequest(unit, UnitRig.Platform, version, "n"), CloudApi.Json);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<CheckInResponse>(CloudApi.Json))!;
    }

    [Test]
    public async Task DeleteLatest_VersionNotReusedAndTheOneBelowCannotBeDeleted()
    {
        await using var rig = await UnitRig.StartAsync("cloud-delete", startUnit: false);
        var bundle = await rig.MakeBundleAsync("2.0");
        for (var i = 1; i <= 5; i++) Assert.That(await rig.UploadAsync(bundle), Is.EqualTo(i));
        using (var r = await rig.Http.DeleteAsync(new Uri(rig.Cloud.Address, $"api/platforms/{UnitRig.Platform}/images/5")))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using (var r = await rig.Http.DeleteAsync(new Uri(rig.Cloud.Address, $"api/platforms/{UnitRig.Platform}/images/4")))
        {
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(await r.Content.ReadAsStringAsync(), Does.Contain("only the last uploaded image can be deleted"));
        }
        Assert.That(await rig.UploadAsync(bundle), Is.EqualTo(6));
        using (var r = await rig.Http.GetAsync(new Uri(rig.Cloud.Address, $"api/platforms/{UnitRig.Platform}/images/5/metadata")))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task CheckIn_ThrottlePeriodAndManualTrigger_InVirtualTime()
    {
        // From now: the cloud checks unit certificates against its clock too.
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var rig = await UnitRig.StartAsync("cloud-throttle", startUnit: false, cloudTime: time);
        var bundle = await rig.MakeBundleAsync("2.0");
        await rig.UploadAsync(bundle);
        await rig.UploadAsync(bundle);

        Assert.That((await CheckIn(rig, 0)).ImageVersion, Is.EqualTo(1));
        time.Advance(TimeSpan.FromHours(1));
        var held = await CheckIn(rig, 1);
        Assert.That(held.Action, Is.EqualTo(CheckInResponse.None));
        Assert.That(held.Reason, Does.Contain("held back until"));

        using (var r = await rig.Http.PostAsync(new Uri(rig.Cloud.Address, "api/units/u1/trigger"), null))
            Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        var manual = await CheckIn(rig, 1);
        Assert.That((manual.ImageVersion, manual.Manual, manual.Direction), Is.EqualTo((2L, true, "next")));
        Assert.That(manual.Offer!.Value.GetProperty("offer").GetProperty("nonce").GetString(), Is.EqualTo("n"));

        time.Advance(TimeSpan.FromHours(23));
        Assert.That((await CheckIn(rig, 1)).ImageVersion, Is.EqualTo(2), "the automatic period counts from the last automatic offer");
    }

    [Test]
    public async Task CheckIn_HigherThanTheCloud_OffersThePreviousVersion()
    {
        await using var rig = await UnitRig.StartAsync("cloud-previous", startUnit: false);
        var bundle = await rig.MakeBundleAsync("2.0");
        for (var i = 0; i < 3; i++) await rig.UploadAsync(bundle);
        await rig.Http.DeleteAsync(new Uri(rig.Cloud.Address, $"api/platforms/{UnitRig.Platform}/images/3"));
        var r = await CheckIn(rig, 3);
        Assert.That((r.Action, r.ImageVersion, r.Direction), Is.EqualTo(("update", 2L, "previous")));
    }

    [Test]
    public async Task Dashboard_JsonAndHtmlShowTheFiguresOfSeed000()
    {
        await using var rig = await UnitRig.StartAsync("cloud-dash", startUnit: false);
        var bundle = await rig.MakeBundleAsync("2.0");
        await rig.UploadAsync(bundle);
        await rig.UploadAsync(bundle);
        await CheckIn(rig, 2, "on-target");
        await CheckIn(rig, 0, "updating");
        await CheckIn(rig, 1, "grouped");
        await rig.Http.PutAsJsonAsync(new Uri(rig.Cloud.Address, "api/groups/qa"), new { platformId = UnitRig.Platform, targetVersion = 1 });
        await rig.Http.PutAsJsonAsync(new Uri(rig.Cloud.Address, "api/units/grouped/group"), new { group = "qa" });
        (await rig.UnitClient("updating").PostAsJsonAsync(new Uri(rig.Cloud.Address, "api/results"), new ResultReport("updating", 1, false, "sha256-mismatch", "x"), CloudApi.Json)).EnsureSuccessStatusCode();

        var json = await rig.Http.GetFromJsonAsync<JsonElement>(new Uri(rig.Cloud.Address, "api/dashboard"));
        Assert.That(json.GetProperty("currentlyOnline").GetInt32(), Is.EqualTo(3));
        Assert.That(json.GetProperty("onTargetPercent").GetDouble(), Is.EqualTo(66.7));
        Assert.That(json.GetProperty("inProgressNow").GetInt32(), Is.EqualTo(1), "'grouped' holds an offer; the failed one ended");
        Assert.That(json.GetProperty("failedLast7Days").GetInt32(), Is.EqualTo(1));
        var group = json.GetProperty("groups")[0];
        Assert.That((group.GetProperty("name").GetString(), group.GetProperty("target").GetInt64(), group.GetProperty("onTarget").GetInt32(), group.GetProperty("devices").GetInt32()),
            Is.EqualTo(("qa", 1L, 1, 1)));

        var html = await rig.Http.GetStringAsync(rig.Cloud.Address);
        Assert.That(html, Does.Contain("<b>3</b><span>CURRENTLY ONLINE</span>"));
        Assert.That(html, Does.Contain("<b>66.7%</b><span>DEVICES ON TARGET VERSION</span>"));
        Assert.That(html, Does.Contain("<b>1</b><span>FAILED UPGRADES LAST 7 DAYS</span>"));
        Assert.That(html, Does.Contain("<tr><td>qa</td><td>hilrig-pi</td><td>1</td><td>1/1</td></tr>"));
    }

    [Test]
    public async Task Upload_NotSignedByATrustedOemKey_IsRefused422()
    {
        await using var rig = await UnitRig.StartAsync("cloud-upload-bad", startUnit: false);
        var bundle = await rig.MakeBundleAsync("2.0");
        var work = RepoPaths.NewTempDirectory("resign");
        var (metadata, _) = Update.Bundles.MetadataDocument.ReadUnverified(await Update.Bundles.BundleArchive.ExtractAsync(bundle, work), "m");
        using var stranger = Update.Bundles.SigningKey.Generate();
        await Update.Bundles.BundleArchive.WriteAsync(bundle, Update.Bundles.MetadataDocument.Sign(metadata, stranger),
            metadata.Components.Select(c => (c.Id, Path.Combine(work, "components", c.Id + ".enc"))));
        await using var file = File.OpenRead(bundle);
        using var r = await rig.Http.PostAsync(new Uri(rig.Cloud.Address, $"api/platforms/{UnitRig.Platform}/images"), new StreamContent(file));
        Assert.That((int)r.StatusCode, Is.EqualTo(422));
        Assert.That(await r.Content.ReadAsStringAsync(), Does.Contain("bundle refused: unknown-key"));
    }

    [Test]
    public async Task Files_ServeRanges()
    {
        await using var rig = await UnitRig.StartAsync("cloud-range", startUnit: false);
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        var file = Directory.GetFiles(Path.Combine(rig.Directory, "cloud", "files")).First();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(rig.Cloud.Address, $"files/{Path.GetFileName(file)}"));
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 199);
        using var response = await rig.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(File.ReadAllBytes(file)[100..200]));
    }
}
