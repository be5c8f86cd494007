using System.Net;
using System.Text;
using HilRig.Testing;
using HilRig.Update.Bundles;
using HilRig.Update.Protocol;
using NUnit.Framework;

namespace HilRig.Update.Tests.Cm;

/// <summary>
/// Issue 4, Bad input: each is refused by the CM before any module runs, the reason reaches the cloud, and nothing
/// is installed. The modules' journals prove no Prepare reached any UM.
/// </summary>
public class BadInputTests
{
    private static async Task<(UnitRig Rig, long Version)> RigWithBundle(string name, Action<UnitRig>? before = null)
    {
        var rig = await UnitRig.StartAsync(name, startUnit: false);
        before?.Invoke(rig);
        await rig.StartUnitAsync();
        var version = await rig.UploadAsync(await rig.MakeBundleAsync("2.0", ("main-test", "t")));
        return (rig, version);
    }

    private static async Task<string> RefusedAsync(UnitRig rig, string reason)
    {
        var result = await rig.Cm.CheckInAsync(default);
        Assert.That(result.Outcome, Is.Not.Null);
        Assert.That((result.Outcome!.Success, result.Outcome.Reason), Is.EqualTo((false, reason)), result.Outcome.Detail);
        var recorded = (await rig.CloudResultsAsync()).Single();
        Assert.That((recorded.Success, recorded.Reason), Is.EqualTo((false, reason)), "the cloud records why");
        Assert.That(rig.TestModuleOf("main").Journal, Is.EqualTo(new[] { "init" }), "no module ran");
        foreach (var node in UnitRig.Nodes)
        {
            Assert.That(rig.Um(node).State.State, Is.EqualTo(UpdateState.Idle));
            Assert.That(File.Exists(rig.InstalledFile(node)), Is.False, "nothing installed");
        }
        Assert.That(Directory.Exists(Path.Combine(rig.Cm.Config.ImageDirectory, "1")), Is.False, "nothing left decrypted");
        return result.Outcome.Detail!;
    }

    private static string StoredFile(UnitRig rig, int index)
    {
        // The node-app payloads (9000 bytes each before encryption), not the one-byte test component.
        var files = Directory.GetFiles(Path.Combine(rig.Directory, "cloud", "files")).Where(f => new FileInfo(f).Length > 5000).Order().ToArray();
        return files[index];
    }

    [Test]
    public async Task ComponentWithOneByteChanged_Sha256Mismatch()
    {
        var (rig, _) = await RigWithBundle("bad-byte");
        await using var _r = rig;
        var file = StoredFile(rig, 0);
        var bytes = File.ReadAllBytes(file);
        bytes[1234] ^= 0x40;
        File.WriteAllBytes(file, bytes);
        Assert.That(await RefusedAsync(rig, "sha256-mismatch"), Does.Contain("sha256 "));
    }

    [Test]
    public async Task ComponentOfTheWrongSize_SizeMismatch()
    {
        var (rig, _) = await RigWithBundle("bad-size");
        await using var _r = rig;
        File.AppendAllText(StoredFile(rig, 1), "x");
        Assert.That(await RefusedAsync(rig, "size-mismatch"), Does.Contain("serves more than"));
    }

    [Test]
    public async Task TruncatedDownload_Truncated()
    {
        var (rig, _) = await RigWithBundle("bad-trunc");
        await using var _r = rig;
        var file = StoredFile(rig, 2);
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..3000]);
        Assert.That(await RefusedAsync(rig, "truncated"), Does.Contain("ends at byte 3000"));
    }

    [Test]
    public async Task SignedByAnUnknownKey_UnknownKey()
    {
        var (rig, _) = await RigWithBundle("bad-unknown", r =>
            r.UnitTrust = TrustStore.Load(RepoPaths.Fixtures("update", "test-only-oem-trust.json")));
        await using var _r = rig;
        await RefusedAsync(rig, "unknown-key");
    }

    [Test]
    public async Task SignedByAnExpiredKey_ExpiredKey()
    {
        var (rig, _) = await RigWithBundle("bad-expired", r =>
            r.CmTime = new Bundles.FixedTimeProvider(new DateTimeOffset(2036, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        await using var _r = rig;
        Assert.That(await RefusedAsync(rig, "expired-key"), Does.Contain("test-only-cloud"));
    }

    [Test]
    public async Task MetadataReplayedWithAnOlderImageVersion_ReplayedImageVersion()
    {
        // A man in the middle answers the request for image 2's metadata with image 1's, validly signed.
        var swap = new SwapHandler();
        var (rig, _) = await RigWithBundle("bad-replay", r => r.CmHttpInterceptor = swap);
        await using var _r = rig;
        await rig.UploadAsync(await rig.MakeBundleAsync("3.0"));
        swap.Replace = ("/images/2/metadata", "/images/1/metadata");
        rig.Cm.Store.InstalledImageVersion = 1;
        Assert.That(await RefusedAsync(rig, "replayed-image-version"), Is.EqualTo("metadata has imageVersion 1, the cloud offered 2"));
    }

    [Test]
    public async Task MalformedMetadataJson_MalformedMetadataWithPosition()
    {
        var swap = new SwapHandler { Corrupt = "/images/1/metadata" };
        var (rig, _) = await RigWithBundle("bad-json", r => r.CmHttpInterceptor = swap);
        await using var _r = rig;
        Assert.That(await RefusedAsync(rig, "malformed-metadata"), Does.Match(@"metadata:\d+: byte \d+: malformed JSON"));
    }

    [Test]
    public async Task UnknownComponentId_UnknownComponent()
    {
        await using var rig = await UnitRig.StartAsync("bad-component");
        await rig.UploadAsync(await rig.MakeBundleAsync("2.0", ("bootloader", "b")));
        Assert.That(await RefusedAsync(rig, "unknown-component"), Does.StartWith("component 'bootloader' is not updated by any UM"));
    }

    /// <summary>Rewrites what the CM fetches from the cloud, as an attacker between them would.</summary>
    private sealed class SwapHandler : DelegatingHandler
    {
        public (string From, string To)? Replace { get; set; }
        public string? Corrupt { get; set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            if (Replace is { } r && request.RequestUri!.AbsolutePath.EndsWith(r.From, StringComparison.Ordinal))
                request.RequestUri = new Uri(request.RequestUri.AbsoluteUri.Replace(r.From, r.To));
            var response = await base.SendAsync(request, ct);
            if (Corrupt is { } c && request.RequestUri!.AbsolutePath.EndsWith(c, StringComparison.Ordinal))
            {
                var text = await response.Content.ReadAsStringAsync(ct);
                response.Content = new StringContent(text.Replace("\"components\":", "\"components\" ["), Encoding.UTF8, "application/json");
            }
            return response;
        }
    }
}
