using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HilRig.Update.Bundles;
using NUnit.Framework;

namespace HilRig.Update.Tests.Bundles;

public class BundleVerifierTests
{
    private static async Task<BundleRejectedException> Rejected(BundleFixture f, string path, UpdatePolicy? policy = null, bool decrypt = true, DateTimeOffset? at = null)
    {
        var verifier = f.Verifier(at);
        return Assert.ThrowsAsync<BundleRejectedException>(() => verifier.VerifyFileAsync(path, policy ?? UpdatePolicy.Any, decrypt ? f.UnitKey : null))!;
    }

    [Test]
    public async Task VerifyFile_ValidBundle_ReturnsTheSignedMetadata()
    {
        using var f = await BundleFixture.CreateAsync("valid");
        var metadata = await f.Verifier().VerifyFileAsync(f.BundlePath, new UpdatePolicy(1, KnownComponents: new HashSet<string> { "rootfs", "boot" }), f.UnitKey);
        Assert.That(metadata.ImageVersion, Is.EqualTo(2));
        Assert.That(metadata.Components.Select(c => c.Id), Is.EqualTo(new[] { "rootfs", "boot" }));
        Assert.That(metadata.Components[0].AnnotationsJson, Is.EqualTo("""{"type":"full"}"""));
        Assert.That(metadata.Components[0].Size, Is.EqualTo(ComponentCipher.EncryptedSize(10_000, 1024)));
    }

    [Test]
    public async Task Metadata_HasExactlyTheFieldsOfSeed001()
    {
        using var f = await BundleFixture.CreateAsync("fields");
        var payload = MetadataDocument.Payload(await BundleArchive.ReadMetadataAsync(f.BundlePath), "m");
        Assert.That(payload.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "imageVersion", "components", "decryptionInfo" }));
        var rootfs = payload.GetProperty("components")[0];
        Assert.That(rootfs.EnumerateObject().Select(p => p.Name),
            Is.EquivalentTo(new[] { "id", "version", "description", "annotations", "urls", "sha256", "sha512", "size" }));
        Assert.That(rootfs.GetProperty("urls")[0].GetString(), Is.EqualTo("components/rootfs.enc"));
        Assert.That(rootfs.GetProperty("sha256").GetString(), Has.Length.EqualTo(64));
        Assert.That(rootfs.GetProperty("sha512").GetString(), Has.Length.EqualTo(128));
    }

    [Test]
    public async Task VerifyFile_OneByteChangedInAComponent_IsRefusedAsSha256Mismatch()
    {
        using var f = await BundleFixture.CreateAsync("byte");
        var path = await BundleTamper.RewriteAsync(f, "byte", componentId: "boot", payload: p => { p[100] ^= 0x01; return p; });
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.Sha256Mismatch));
        Assert.That(e.Message, Does.StartWith("sha256-mismatch: component 'boot': sha256 "));
    }

    [Test]
    public async Task VerifyFile_ComponentLongerThanItsSize_IsRefusedAsSizeMismatch()
    {
        using var f = await BundleFixture.CreateAsync("size");
        var path = await BundleTamper.RewriteAsync(f, "size", componentId: "rootfs", payload: p => [.. p, 0]);
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.SizeMismatch));
        Assert.That(e.Detail, Does.Contain($"{f.Metadata.Components[0].Size + 1} bytes"));
    }

    [Test]
    public async Task VerifyFile_TruncatedComponent_IsRefusedAsTruncatedNamingTheByte()
    {
        using var f = await BundleFixture.CreateAsync("trunc");
        var path = await BundleTamper.RewriteAsync(f, "trunc", componentId: "rootfs", payload: p => p[..5000]);
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.Truncated));
        Assert.That(e.Detail, Does.Contain("ends at byte 5000"));
    }

    [Test]
    public async Task VerifyFile_SignedByAnUnknownKey_IsRefusedAsUnknownKey()
    {
        using var f = await BundleFixture.CreateAsync("unknown");
        using var stranger = SigningKey.Generate();
        var path = await BundleTamper.RewriteAsync(f, "unknown", metadata: _ => BundleTamper.Resign(f, f.Metadata, stranger));
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.UnknownKey));
        Assert.That(e.Detail, Does.Contain(stranger.Id));
    }

    [Test]
    public async Task VerifyFile_AfterTheKeyExpired_IsRefusedAsExpiredKey()
    {
        using var f = await BundleFixture.CreateAsync("expired");
        var e = await Rejected(f, f.BundlePath, at: BundleFixture.Now.AddYears(2));
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.ExpiredKey));
        Assert.That(e.Detail, Does.Contain("test-signer"));
    }

    [Test]
    public async Task VerifyFile_KeyRotation_NewKeyAcceptedOldKeyRefusedAfterItsPeriod()
    {
        using var f = await BundleFixture.CreateAsync("rotate");
        using var next = SigningKey.Generate();
        var rotation = BundleFixture.Now.AddMonths(6);
        var trust = new TrustStore([
            f.Signer.Trusted("old", BundleFixture.Now.AddYears(-1), rotation),
            next.Trusted("new", rotation.AddMonths(-1), rotation.AddYears(2)),
        ]);
        var resigned = await BundleTamper.RewriteAsync(f, "rotate", metadata: _ => BundleTamper.Resign(f, f.Metadata, next));
        var after = new FixedTimeProvider(rotation.AddDays(1));
        Assert.That((await new BundleVerifier(trust, after).VerifyFileAsync(resigned, UpdatePolicy.Any)).ImageVersion, Is.EqualTo(2));
        var e = Assert.ThrowsAsync<BundleRejectedException>(() => new BundleVerifier(trust, after).VerifyFileAsync(f.BundlePath, UpdatePolicy.Any))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.ExpiredKey));
    }

    [Test]
    public async Task VerifyFile_OlderOrEqualImageVersionThanInstalled_IsRefusedAsReplay()
    {
        using var f = await BundleFixture.CreateAsync("replay", imageVersion: 3);
        var older = await Rejected(f, f.BundlePath, new UpdatePolicy(InstalledImageVersion: 5));
        Assert.That(older.Reason, Is.EqualTo(BundleRejection.ReplayedImageVersion));
        Assert.That(older.Detail, Is.EqualTo("metadata has imageVersion 3, not newer than the installed 5"));
        var equal = await Rejected(f, f.BundlePath, new UpdatePolicy(InstalledImageVersion: 3));
        Assert.That(equal.Reason, Is.EqualTo(BundleRejection.ReplayedImageVersion));
    }

    [Test]
    public async Task VerifyFile_OfferedPreviousVersion_IsAcceptedOnlyForThatVersion()
    {
        using var f = await BundleFixture.CreateAsync("offer", imageVersion: 3);
        var metadata = await f.Verifier().VerifyFileAsync(f.BundlePath, new UpdatePolicy(4, OfferedImageVersion: 3));
        Assert.That(metadata.ImageVersion, Is.EqualTo(3));
        var e = await Rejected(f, f.BundlePath, new UpdatePolicy(4, OfferedImageVersion: 5));
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.ReplayedImageVersion));
    }

    [Test]
    public async Task VerifyFile_MalformedMetadataJson_IsRefusedWithLineAndByte()
    {
        using var f = await BundleFixture.CreateAsync("malformed");
        var path = await BundleTamper.RewriteAsync(f, "malformed", metadata: m =>
        {
            var text = Encoding.UTF8.GetString(m);
            var cut = text.IndexOf("\"components\"", StringComparison.Ordinal);
            return Encoding.UTF8.GetBytes(text[..cut] + "\"components\" [" + text[(cut + 14)..]);
        });
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.MalformedMetadata));
        Assert.That(e.Detail, Does.Match(@"metadata\.json:\d+: byte \d+: malformed JSON"));
    }

    [Test]
    public async Task VerifyFile_UnknownComponentId_IsRefusedNamingIt()
    {
        using var f = await BundleFixture.CreateAsync("unknown-id");
        var e = await Rejected(f, f.BundlePath, new UpdatePolicy(1, KnownComponents: new HashSet<string> { "rootfs" }));
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.UnknownComponent));
        Assert.That(e.Detail, Does.StartWith("component 'boot' is not updated by any UM"));
    }

    [Test]
    public async Task VerifyFile_MetadataEditedAfterSigning_IsRefusedAsBadSignature()
    {
        using var f = await BundleFixture.CreateAsync("edited");
        var path = await BundleTamper.RewriteAsync(f, "edited", metadata: m =>
            Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(m).Replace("\"imageVersion\": 2", "\"imageVersion\": 9")));
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.BadSignature));
    }

    [Test]
    public async Task VerifyFile_ReformattedButSameContent_StillVerifies()
    {
        using var f = await BundleFixture.CreateAsync("reformat");
        var path = await BundleTamper.RewriteAsync(f, "reformat", metadata: m =>
        {
            using var doc = JsonDocument.Parse(m);
            // Compact, and members of the metadata in reverse order: the canonical form is the same.
            var meta = doc.RootElement.GetProperty("metadata").EnumerateObject().Reverse()
                .Select(p => $"\"{p.Name}\":{p.Value.GetRawText()}");
            return Encoding.UTF8.GetBytes($"{{\"signature\":{doc.RootElement.GetProperty("signature").GetRawText()},\"metadata\":{{{string.Join(",", meta)}}}}}");
        });
        Assert.That((await f.Verifier().VerifyFileAsync(path, UpdatePolicy.Any, f.UnitKey)).ImageVersion, Is.EqualTo(2));
    }

    [Test]
    public async Task VerifyFile_SignedButBadField_IsRefusedNamingThePath()
    {
        using var f = await BundleFixture.CreateAsync("field");
        var path = await BundleTamper.RewriteAsync(f, "field", metadata: m =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(m)!["metadata"]!;
            node["components"]![1]!["sha256"] = "not-hex";
            return SignedDocument.Create("metadata", node.DeepClone(), f.Signer, MetadataDocument.Purpose);
        });
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.InvalidMetadata));
        Assert.That(e.Detail, Does.StartWith("$.components[1].sha256: expected 64 hex digits"));
    }

    [Test]
    public async Task VerifyFile_DuplicateMemberInSignedMetadata_IsRefused()
    {
        using var f = await BundleFixture.CreateAsync("dup");
        var path = await BundleTamper.RewriteAsync(f, "dup", metadata: m =>
            Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(m).Replace("\"imageVersion\": 2", "\"imageVersion\": 2, \"imageVersion\": 7")));
        var e = await Rejected(f, path);
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.InvalidMetadata));
        Assert.That(e.Detail, Does.Contain("duplicate member name"));
    }

    [Test]
    public async Task VerifyFile_BundleForAnotherUnit_IsRefusedAsDecryptionFailed()
    {
        using var f = await BundleFixture.CreateAsync("other-unit");
        using var otherUnit = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var e = Assert.ThrowsAsync<BundleRejectedException>(() => f.Verifier().VerifyFileAsync(f.BundlePath, UpdatePolicy.Any, otherUnit))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.DecryptionFailed));
        Assert.That(e.Detail, Does.Contain("not wrapped for this unit"));
    }

    [Test]
    public void TrustStore_FixtureFile_LoadsBothKeysWithTheirPeriods()
    {
        var trust = TrustStore.Load(HilRig.Testing.RepoPaths.Fixtures("update", "test-only-trust.json"));
        using var cloud = SigningKey.Load(HilRig.Testing.RepoPaths.Fixtures("update", "test-only-cloud-signing.pem"));
        Assert.That(trust.Resolve(cloud.Id, BundleFixture.Now).Name, Is.EqualTo("test-only-cloud"));
        using var retired = SigningKey.Load(HilRig.Testing.RepoPaths.Fixtures("update", "test-only-retired-signing.pem"));
        Assert.That(() => trust.Resolve(retired.Id, BundleFixture.Now), Throws.TypeOf<BundleRejectedException>()
            .With.Property(nameof(BundleRejectedException.Reason)).EqualTo(BundleRejection.ExpiredKey));
    }
}

internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
