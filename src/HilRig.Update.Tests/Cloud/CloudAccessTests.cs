using System.Net;
using System.Net.Http.Json;
using System.Text;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using HilRig.Testing;
using HilRig.Update.Cloud;
using HilRig.Update.Tests.Cm;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cloud;

/// <summary>
/// Issue 13, items 1 and 2, Bad input: who may talk to the cloud. Each refusal is a status and a reason the caller can
/// act on, a line in the cloud's security log, and nothing written. Before this change every one of these requests was
/// answered 2xx (the cloud had no authentication at all).
/// </summary>
public class CloudAccessTests
{
    private static CheckInRequest CheckIn(string unit, long version = 0) => new(unit, UnitRig.Platform, version, "n-" + unit);

    private static async Task<(HttpStatusCode Status, string Error)> Refusal(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.False, $"expected a refusal, got {(int)response.StatusCode}: {body}");
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return (response.StatusCode, json.RootElement.GetProperty("error").GetString()!);
    }

    private static HttpClient Unit(UnitRig rig, string certificatePem, string keyPem) =>
        new(UnitCredentials.FromPem(certificatePem, keyPem, File.ReadAllText(rig.Cloud.Data.CaCertificate)).CreateHandler()) { BaseAddress = rig.Cloud.Address };

    private static HttpClient Operator(UnitRig rig, string? authorization)
    {
        var http = CloudTrust.OperatorClient(new SocketsHttpHandler(), rig.Cloud.Data, null, TimeSpan.FromSeconds(30));
        http.BaseAddress = rig.Cloud.Address;
        if (authorization is not null) http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        return http;
    }

    private static async Task<string> TokenAsync(UnitRig rig, OperatorRole roles, bool revoked = false)
    {
        var (token, record) = OperatorToken.New(roles, $"test {roles}", DateTimeOffset.UtcNow);
        using var store = new CloudStore(rig.Cloud.Data.Database);
        await store.InTransactionAsync(s =>
        {
            s.AddToken(record);
            if (revoked) s.RevokeToken(record.Id, DateTimeOffset.UtcNow);
            return true;
        });
        return token;
    }

    private static IReadOnlyList<SecurityLogEntry> Log(UnitRig rig) => SecurityLogEntry.ReadAll(rig.Cloud.Data.SecurityLog);

    [Test]
    public async Task ChunkedBody_OfExactlyTheLimit_Accepted_OneByteMore_413()
    {
        await using var rig = await UnitRig.StartAsync("acc-limit", startUnit: false);
        var unit = rig.UnitClient("unit-1");
        HttpRequestMessage Sized(int bytes)
        {
            // JSON allows trailing white space: pad a real check-in to the exact size.
            var json = System.Text.Json.JsonSerializer.Serialize(CheckIn("unit-1"), CloudApi.Json);
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(json.PadRight(bytes)));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var request = new HttpRequestMessage(HttpMethod.Post, CloudApi.CheckInPath) { Content = content };
            request.Headers.TransferEncodingChunked = true;
            return request;
        }

        using var atLimit = await unit.SendAsync(Sized((int)CloudAccess.SmallBody));
        Assert.That(atLimit.StatusCode, Is.EqualTo(HttpStatusCode.OK), await atLimit.Content.ReadAsStringAsync());
        var (status, error) = await Refusal(await unit.SendAsync(Sized((int)CloudAccess.SmallBody + 1)));
        Assert.That((status, error), Is.EqualTo((HttpStatusCode.RequestEntityTooLarge, "request body is over the 4096-byte limit of POST /api/checkin")));
    }

    [Test]
    public async Task CheckIn_WithoutACertificate_401_Logged_NothingWritten()
    {
        await using var rig = await UnitRig.StartAsync("acc-nocert", startUnit: false);
        using var anonymous = Operator(rig, null);
        var (status, error) = await Refusal(await anonymous.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Does.Contain("needs the unit's client certificate"));
        Assert.That(await rig.Cloud.Service.UnitAsync("unit-1"), Is.Null, "nothing written");
        Assert.That(Log(rig).Single(), Has.Property("Status").EqualTo(401).And.Property("Path").EqualTo(CloudApi.CheckInPath));
    }

    [Test]
    public async Task CheckIn_AsAnotherUnit_403_TheOtherUnitsOfferIsNotSpent()
    {
        await using var rig = await UnitRig.StartAsync("acc-other", startUnit: false);
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        var (status, error) = await Refusal(await rig.UnitClient("intruder").PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(error, Is.EqualTo("the client certificate is for unit 'intruder', the check-in is for unit 'unit-1': a unit acts only as itself"));
        Assert.That(await rig.Cloud.Service.UnitAsync("unit-1"), Is.Null, "nothing written");
        Assert.That(Log(rig).Single().Caller, Does.Contain("unit 'intruder'"));

        // The real unit still gets its (throttled, once a day) automatic offer.
        using var response = await rig.UnitClient("unit-1").PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json);
        Assert.That((await response.Content.ReadFromJsonAsync<CheckInResponse>(CloudApi.Json))!.Action, Is.EqualTo(CheckInResponse.Update));
    }

    [Test]
    public async Task Results_ForAnotherUnit_403_NothingRecorded()
    {
        await using var rig = await UnitRig.StartAsync("acc-results", startUnit: false);
        var (status, _) = await Refusal(await rig.UnitClient("intruder").PostAsJsonAsync(CloudApi.ResultsPath, new ResultReport("unit-1", 1, false, "um-failed"), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await rig.Cloud.Service.ResultsAsync(null), Is.Empty);
    }

    [Test]
    public async Task MetadataAndFiles_OfAnotherPlatform_403_OfItsOwn_Served()
    {
        await using var rig = await UnitRig.StartAsync("acc-fetch", startUnit: false);
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        var file = Path.GetFileName(Directory.GetFiles(rig.Cloud.Data.Files).First());
        var other = rig.UnitClient("other-platform");
        var own = rig.UnitClient("unit-1");

        var (status, error) = await Refusal(await other.GetAsync($"files/{file}"));
        Assert.That((status, error), Is.EqualTo((HttpStatusCode.Forbidden, "unit 'other-platform' has not checked in yet: its platform is unknown, so it may download no file")));
        await other.PostAsJsonAsync(CloudApi.CheckInPath, new CheckInRequest("other-platform", "another-board", 0, "n"), CloudApi.Json);
        (status, error) = await Refusal(await other.GetAsync($"files/{file}"));
        Assert.That(error, Is.EqualTo($"file {file} is not part of any image of platform 'another-board', the platform of unit 'other-platform'"));
        (status, error) = await Refusal(await other.GetAsync(VersionService.MetadataPath(UnitRig.Platform, version)));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));

        await own.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json);
        Assert.That((await own.GetAsync($"files/{file}")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await own.GetAsync(VersionService.MetadataPath(UnitRig.Platform, version))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Certificate_Expired_401_Revoked_401OnTheOpenConnectionToo()
    {
        await using var rig = await UnitRig.StartAsync("acc-expired", startUnit: false);
        var now = DateTimeOffset.UtcNow;
        using var expired = new HttpClient(UnitCredentials.Load(rig.Enroll("unit-1", now.AddDays(-10), now.AddDays(-1))).CreateHandler()) { BaseAddress = rig.Cloud.Address };
        var (status, error) = await Refusal(await expired.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Does.Match(@"certificate 'O=HilRig unit, CN=unit-1' \(serial [0-9A-F]+\) expired at .*; enroll the unit again"));

        var fresh = rig.UnitClient("unit-2");
        Assert.That((await fresh.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-2"), CloudApi.Json)).IsSuccessStatusCode, Is.True);
        await CloudEnrollment.RevokeAsync(rig.Cloud.Data, "unit-2", DateTimeOffset.UtcNow);
        (status, error) = await Refusal(await fresh.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-2", 1), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Does.Match(@"certificate [0-9A-F]+ of unit 'unit-2' was revoked at .*; enroll the unit again"));
        Assert.That((await rig.Cloud.Service.UnitAsync("unit-2"))!.ImageVersion, Is.EqualTo(0), "the refused check-in wrote nothing");
    }

    [Test]
    public async Task Certificate_FromAnotherCa_OrAForgedOneWithTheCasName_401()
    {
        await using var rig = await UnitRig.StartAsync("acc-wrong-ca", startUnit: false);
        var now = DateTimeOffset.UtcNow;
        using var stranger = CloudCertificateAuthority.Create(now);
        var foreign = stranger.IssueUnit("unit-1", now.AddHours(-1), now.AddDays(1), now);
        using var fromStranger = Unit(rig, foreign.CertificatePem, foreign.KeyPem);
        var (status, error) = await Refusal(await fromStranger.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Does.Contain("was not issued by this cloud's CA"));

        // A CA of the attacker's with the very name of the cloud's: the signature gives it away.
        using var real = CloudCertificateAuthority.Load(rig.Cloud.Data.CaCertificate, rig.Cloud.Data.CaKey);
        using var lookalike = CloudCertificateAuthority.Create(now, real.Certificate.SubjectName);
        var forged = lookalike.IssueUnit("unit-1", now.AddHours(-1), now.AddDays(1), now);
        using var fromForger = Unit(rig, forged.CertificatePem, forged.KeyPem);
        (status, error) = await Refusal(await fromForger.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Does.Contain("was not issued by this cloud's CA"));
        Assert.That(await rig.Cloud.Service.UnitAsync("unit-1"), Is.Null);
    }

    [Test]
    public async Task Certificate_FromTheCaButMalformedOrUnrecorded_401()
    {
        await using var rig = await UnitRig.StartAsync("acc-malformed", startUnit: false);
        var now = DateTimeOffset.UtcNow;
        using var ca = CloudCertificateAuthority.Load(rig.Cloud.Data.CaCertificate, rig.Cloud.Data.CaKey);

        var server = ca.IssueServer(["unit-1"], now, TimeSpan.FromDays(1));
        using var serverAsClient = Unit(rig, server.CertificatePem, server.KeyPem);
        var (_, error) = await Refusal(await serverAsClient.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(error, Does.Contain("is not for TLS client authentication"));

        var slash = ca.IssueUnit("unit/1", now.AddHours(-1), now.AddDays(1), now);
        using var badName = Unit(rig, slash.CertificatePem, slash.KeyPem);
        (_, error) = await Refusal(await badName.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit/1"), CloudApi.Json));
        Assert.That(error, Does.Contain("names no unit: common name 'unit/1' is not 1 to 128 characters"));

        // Signed with the CA's key but never enrolled (a CA key used outside `cloud enroll`): not in the records.
        var unrecorded = ca.IssueUnit("unit-1", now.AddHours(-1), now.AddDays(1), now);
        using var stray = Unit(rig, unrecorded.CertificatePem, unrecorded.KeyPem);
        (_, error) = await Refusal(await stray.PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1"), CloudApi.Json));
        Assert.That(error, Does.Contain("is not in this cloud's records of issued certificates"));
        Assert.That(Log(rig).Select(e => e.Status), Is.EqualTo(new[] { 401, 401, 401 }));
    }

    [TestCase(null, 401, "needs `Authorization: Bearer <token>`")]
    [TestCase("Basic dXNlcjpwYXNz", 401, "the Authorization header is not 'Bearer <token>'")]
    [TestCase("Bearer hilrig_short", 401, "malformed token: a HilRig token is 67 characters")]
    [TestCase("Bearer hilrig_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "token 0123456789abcdef is not one this cloud issued")]
    public async Task Delete_WithoutAGoodToken_Refused_TheImageStays(string? authorization, int expected, string reason)
    {
        await using var rig = await UnitRig.StartAsync("acc-token", startUnit: false);
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        using var http = Operator(rig, authorization);
        using var response = await http.DeleteAsync($"api/platforms/{UnitRig.Platform}/images/{version}");
        var (status, error) = await Refusal(response);
        Assert.That((int)status, Is.EqualTo(expected));
        Assert.That(error, Does.Contain(reason));
        Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer realm=\"hilrig-cloud\""));
        Assert.That((await rig.Cloud.Service.VersionsAsync(UnitRig.Platform)).Available, Is.EqualTo(new[] { version }), "nothing deleted");
        Assert.That(Log(rig).Single().Reason, Does.Contain(reason));
    }

    [Test]
    public async Task Token_Revoked_401_WrongRole_403_RightRole_Allowed()
    {
        await using var rig = await UnitRig.StartAsync("acc-roles", startUnit: false);
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0"));
        await rig.UnitClient("unit-1").PostAsJsonAsync(CloudApi.CheckInPath, CheckIn("unit-1", version), CloudApi.Json);

        using var revoked = Operator(rig, "Bearer " + await TokenAsync(rig, OperatorRole.All, revoked: true));
        var (status, error) = await Refusal(await revoked.PostAsync("api/units/unit-1/trigger", null));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Does.Contain("was revoked at"));

        using var viewer = Operator(rig, "Bearer " + await TokenAsync(rig, OperatorRole.Viewer));
        (status, error) = await Refusal(await viewer.DeleteAsync($"api/platforms/{UnitRig.Platform}/images/{version}"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(error, Does.Match(@"token [0-9a-f]{16} \('test Viewer'\) has role viewer; DELETE /api/platforms/hilrig-pi/images/1 needs a token with role oem"));
        Assert.That((await viewer.GetAsync("api/dashboard")).IsSuccessStatusCode, Is.True, "a viewer reads");

        using var oem = Operator(rig, "Bearer " + await TokenAsync(rig, OperatorRole.Oem));
        (status, _) = await Refusal(await oem.PostAsync("api/units/unit-1/trigger", null));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        (status, _) = await Refusal(await oem.PutAsJsonAsync("api/groups/qa", new { platformId = UnitRig.Platform, targetVersion = 1 }));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await rig.Cloud.Service.UnitAsync("unit-1"))!.ManualTriggerPending, Is.False, "nothing written");
        Assert.That((await rig.Cloud.Service.DashboardAsync()).Groups, Is.Empty);

        using var op = Operator(rig, "Bearer " + await TokenAsync(rig, OperatorRole.Operator));
        Assert.That((await op.PostAsync("api/units/unit-1/trigger", null)).StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        (status, _) = await Refusal(await op.DeleteAsync($"api/platforms/{UnitRig.Platform}/images/{version}"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(Log(rig).Select(e => e.Status), Is.EqualTo(new[] { 401, 403, 403, 403, 403 }));
    }

    [Test]
    public async Task UnitCertificate_OnAnOperatorRoute_401_AToken_OnAUnitRoute_401()
    {
        await using var rig = await UnitRig.StartAsync("acc-kinds", startUnit: false);
        var (status, error) = await Refusal(await rig.UnitClient("unit-1").GetAsync("api/dashboard"));
        Assert.That((status, error), Is.EqualTo((HttpStatusCode.Unauthorized, "GET /api/dashboard needs `Authorization: Bearer <token>` for a token with any role (oem, operator or viewer)")));
        (status, error) = await Refusal(await rig.Http.PostAsJsonAsync(new Uri(rig.Cloud.Address, CloudApi.CheckInPath), CheckIn("unit-1"), CloudApi.Json));
        Assert.That((status, error), Is.EqualTo((HttpStatusCode.Unauthorized, "POST /api/checkin is for units: present the unit's client certificate, not a token")));
    }

    [Test]
    public async Task Bodies_OverTheRoutesLimit_413_WithOrWithoutAContentLength_NothingWritten()
    {
        await using var rig = await UnitRig.StartAsync("acc-bodies", startUnit: false);
        var unit = rig.UnitClient("unit-1");
        var big = new CheckInRequest("unit-1", UnitRig.Platform, 0, new string('n', 5000));

        var (status, error) = await Refusal(await unit.PostAsJsonAsync(CloudApi.CheckInPath, big, CloudApi.Json));
        Assert.That((status, error), Is.EqualTo((HttpStatusCode.RequestEntityTooLarge, "request body is over the 4096-byte limit of POST /api/checkin")),
            "PostAsJsonAsync streams: no Content-Length, the body is counted as it arrives");
        using var sized = new ByteArrayContent(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(big, CloudApi.Json)));
        sized.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        (status, error) = await Refusal(await unit.PostAsync(CloudApi.CheckInPath, sized));
        Assert.That(error, Does.Match(@"request body of \d+ bytes is over the 4096-byte limit of POST /api/checkin"));
        Assert.That(await rig.Cloud.Service.UnitAsync("unit-1"), Is.Null);

        (status, _) = await Refusal(await unit.PostAsJsonAsync(CloudApi.ResultsPath, new ResultReport("unit-1", 1, false, "um-failed", new string('x', 70_000)), CloudApi.Json));
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await rig.Cloud.Service.ResultsAsync(null), Is.Empty);
        Assert.That(Log(rig).Select(e => e.Status), Is.EqualTo(new[] { 413, 413, 413 }));
    }

    [Test]
    public async Task Upload_WithMetadataOverItsLimit_413_BeforeItIsRead_NothingStored()
    {
        await using var rig = await UnitRig.StartAsync("acc-upload", startUnit: false);
        var bundle = Path.Combine(rig.Directory, "huge-metadata.tar");
        var padding = Path.Combine(rig.Directory, "c.enc");
        await File.WriteAllTextAsync(padding, "x");
        // Not JSON at all: if the cloud parsed it, the answer would be 422 malformed-metadata.
        await Update.Bundles.BundleArchive.WriteAsync(bundle, new byte[VersionService.MaxMetadataSize + 1], [("c", padding)]);
        await using var file = File.OpenRead(bundle);
        var (status, error) = await Refusal(await rig.Http.PostAsync(new Uri(rig.Cloud.Address, $"api/platforms/{UnitRig.Platform}/images"), new StreamContent(file)));
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(error, Does.Contain($"entry 1 'metadata.json' is {VersionService.MaxMetadataSize + 1} bytes, over the limit of {VersionService.MaxMetadataSize}; it was not read"));
        Assert.That((await rig.Cloud.Service.VersionsAsync(UnitRig.Platform)).LastAssigned, Is.EqualTo(0));
        Assert.That(Directory.GetFiles(rig.Cloud.Data.Root, "upload-*"), Is.Empty, "the upload's temporary file is gone");
    }

    [Test]
    public async Task UnitCredentials_ACloudWhoseCertificateIsFromAnotherCa_IsRefusedWithTheReason()
    {
        await using var rig = await UnitRig.StartAsync("acc-mitm", startUnit: false);
        await using var impostor = await CloudHost.StartAsync(new CloudOptions
        {
            DataDirectory = Path.Combine(rig.Directory, "impostor"),
            SigningKeyPath = RepoPaths.Fixtures("update", "test-only-cloud-signing.pem"),
            UploadTrustPath = RepoPaths.Fixtures("update", "test-only-oem-trust.json"),
            Listen = "https://127.0.0.1:0",
        });
        using var credentials = UnitCredentials.Load(rig.Enroll("unit-1"));
        using var http = new HttpClient(credentials.CreateHandler());
        var e = Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsJsonAsync(new Uri(impostor.Address, CloudApi.CheckInPath), CheckIn("unit-1"), CloudApi.Json))!;
        Assert.That(e.HttpRequestError, Is.EqualTo(HttpRequestError.SecureConnectionError));
        Assert.That(e.Message, Does.Match(@"TLS with https://127\.0\.0\.1:\d+ refused: the server's certificate 'CN=HilRig cloud, O=HilRig' is not from the cloud's CA 'CN=HilRig cloud CA [0-9a-f]+, O=HilRig'"));
    }

    [Test]
    public void UnitCredentials_BadFiles_NameTheFileAndWhy()
    {
        var dir = TestCredentials.Enroll("unit-1");
        var other = TestCredentials.Enroll("unit-2");
        string Copy(string name)
        {
            var d = RepoPaths.NewTempDirectory(name);
            foreach (var f in Directory.GetFiles(dir)) File.Copy(f, Path.Combine(d, Path.GetFileName(f)));
            return d;
        }

        var missing = Copy("cred-missing");
        File.Delete(Path.Combine(missing, "unit.key"));
        Assert.That(Assert.Throws<UnitCredentialsException>(() => UnitCredentials.Load(missing))!.Message, Does.StartWith($"{missing}/unit.key: cannot read the unit key"));

        var garbage = Copy("cred-garbage");
        File.WriteAllText(Path.Combine(garbage, "unit.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        Assert.That(Assert.Throws<UnitCredentialsException>(() => UnitCredentials.Load(garbage))!.Message, Does.StartWith($"{garbage}/unit.crt: not a PEM certificate"));

        var swapped = Copy("cred-swapped");
        File.Copy(Path.Combine(other, "unit.key"), Path.Combine(swapped, "unit.key"), overwrite: true);
        Assert.That(Assert.Throws<UnitCredentialsException>(() => UnitCredentials.Load(swapped))!.Message, Does.StartWith($"{swapped}/unit.key: this key does not belong to the certificate"));

        var foreignCa = Copy("cred-ca");
        File.Copy(Path.Combine(other, "ca.crt"), Path.Combine(foreignCa, "ca.crt"), overwrite: true);
        Assert.That(Assert.Throws<UnitCredentialsException>(() => UnitCredentials.Load(foreignCa))!.Message, Does.Contain("not by the CA in"));
    }

    [Test]
    public async Task EveryRoute_CarriesAnAccessRule()
    {
        await using var rig = await UnitRig.StartAsync("acc-routes", startUnit: false);
        var routes = rig.Cloud.Endpoints;
        Assert.That(routes, Has.Count.GreaterThanOrEqualTo(14));
        Assert.That(routes.Where(r => r.Access is null).Select(r => r.Route), Is.Empty);
        Assert.That(routes.Where(r => r.Access!.Units && r.Access.Roles == OperatorRole.None).Select(r => r.Route),
            Is.EquivalentTo(new[] { "POST /api/checkin", "POST /api/results" }));
        Assert.That(routes.Where(r => r.Access!.BodyLimit > CloudAccess.ReportBody).Select(r => r.Route),
            Is.EquivalentTo(new[] { "POST /api/platforms/{platformId}/images" }), "only uploads are large");
    }
}
