using HilRig.Update.Bundles;
using NUnit.Framework;

namespace HilRig.Update.Tests.Bundles;

public class UpdateOfferTests
{
    private static readonly DateTimeOffset Now = BundleFixture.Now;

    [Test]
    public void ReadVerified_ForThisUnitAndNonce_ReturnsTheOffer()
    {
        using var cloud = SigningKey.Generate();
        var trust = new TrustStore([cloud.Trusted("cloud", Now.AddDays(-1), Now.AddDays(1))]);
        var bytes = new UpdateOffer("unit-1", "n1", 4, UpdateOffer.Previous, false, new string('a', 64), 5).Sign(cloud);
        var offer = UpdateOffer.ReadVerified(bytes, trust, Now, "unit-1", "n1", installedImageVersion: 5);
        Assert.That(offer.ImageVersion, Is.EqualTo(4));
        Assert.That(offer.Direction, Is.EqualTo(UpdateOffer.Previous));
    }

    [TestCase("unit-2", "n1", "offer is for unit 'unit-1', this is 'unit-2'")]
    [TestCase("unit-1", "n2", "offer answers check-in nonce n1, not this check-in's n2 (replayed)")]
    public void ReadVerified_OtherUnitOrStaleNonce_IsAnInvalidOffer(string unit, string nonce, string reason)
    {
        using var cloud = SigningKey.Generate();
        var trust = new TrustStore([cloud.Trusted("cloud", Now.AddDays(-1), Now.AddDays(1))]);
        var bytes = new UpdateOffer("unit-1", "n1", 4, UpdateOffer.Next, false, new string('a', 64), 3).Sign(cloud);
        var e = Assert.Throws<BundleRejectedException>(() => UpdateOffer.ReadVerified(bytes, trust, Now, unit, nonce, 3))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.InvalidOffer));
        Assert.That(e.Detail, Is.EqualTo(reason));
    }

    [Test]
    public void MetadataSignature_CannotBeReplayedAsAnOffer()
    {
        using var cloud = SigningKey.Generate();
        var trust = new TrustStore([cloud.Trusted("cloud", Now.AddDays(-1), Now.AddDays(1))]);
        var offer = System.Text.Json.Nodes.JsonNode.Parse("""{"unitId":"unit-1","nonce":"n1","imageVersion":4,"direction":"next","manual":false,"metadataSha256":"x"}""")!;
        var signedAsMetadata = SignedDocument.Create(UpdateOffer.PayloadName, offer, cloud, MetadataDocument.Purpose);
        var e = Assert.Throws<BundleRejectedException>(() => UpdateOffer.ReadVerified(signedAsMetadata, trust, Now, "unit-1", "n1", 3))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.BadSignature));
    }

    [Test]
    public void ReadVerified_AnswerToAnotherReportedVersion_IsAnInvalidOffer()
    {
        // Issue 13: the reported version is signed, so an offer decided for another version cannot be passed off.
        using var cloud = SigningKey.Generate();
        var trust = new TrustStore([cloud.Trusted("cloud", Now.AddDays(-1), Now.AddDays(1))]);
        var bytes = new UpdateOffer("unit-1", "n1", 4, UpdateOffer.Previous, false, new string('a', 64), 5).Sign(cloud);
        var e = Assert.Throws<BundleRejectedException>(() => UpdateOffer.ReadVerified(bytes, trust, Now, "unit-1", "n1", installedImageVersion: 3))!;
        Assert.That((e.Reason, e.Detail), Is.EqualTo((BundleRejection.InvalidOffer, "offer answers a check-in that reported image 5, this unit has image 3 installed")));
    }

    [Test]
    public void ReadVerified_OfferWithoutTheReportedVersion_IsAnInvalidOffer()
    {
        using var cloud = SigningKey.Generate();
        var trust = new TrustStore([cloud.Trusted("cloud", Now.AddDays(-1), Now.AddDays(1))]);
        var old = System.Text.Json.Nodes.JsonNode.Parse("""{"unitId":"unit-1","nonce":"n1","imageVersion":4,"direction":"next","manual":false,"metadataSha256":"x"}""")!;
        var bytes = SignedDocument.Create(UpdateOffer.PayloadName, old, cloud, UpdateOffer.Purpose);
        var e = Assert.Throws<BundleRejectedException>(() => UpdateOffer.ReadVerified(bytes, trust, Now, "unit-1", "n1", 3))!;
        Assert.That(e.Detail, Is.EqualTo("offer: $.offer.reportedImageVersion: missing or not an integer"));
    }

    [TestCase(UpdateOffer.Next, 4, 5, "the offer moves the unit to the next image 4, but the installed image is 5")]
    [TestCase(UpdateOffer.Next, 5, 5, "the offer moves the unit to the next image 5, but the installed image is 5")]
    [TestCase(UpdateOffer.Previous, 6, 5, "the offer moves the unit to the previous image 6, but the installed image is 5")]
    [TestCase(UpdateOffer.Previous, 5, 5, "the offer moves the unit to the previous image 5, but the installed image is 5")]
    public void ReadVerified_DirectionThatDoesNotFitTheInstalledVersion_WrongDirection(string direction, long offered, long installed, string detail)
    {
        using var cloud = SigningKey.Generate();
        var trust = new TrustStore([cloud.Trusted("cloud", Now.AddDays(-1), Now.AddDays(1))]);
        var bytes = new UpdateOffer("unit-1", "n1", offered, direction, false, new string('a', 64), installed).Sign(cloud);
        var e = Assert.Throws<BundleRejectedException>(() => UpdateOffer.ReadVerified(bytes, trust, Now, "unit-1", "n1", installed))!;
        Assert.That((e.Reason, e.Detail), Is.EqualTo((BundleRejection.WrongDirection, detail)));
    }
}
