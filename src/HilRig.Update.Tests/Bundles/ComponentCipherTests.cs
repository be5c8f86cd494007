using System.Security.Cryptography;
using HilRig.Update.Bundles;
using NUnit.Framework;

namespace HilRig.Update.Tests.Bundles;

public class ComponentCipherTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    private static async Task<byte[]> Encrypt(byte[] plain, string id = "rootfs", int chunk = 64)
    {
        using var output = new MemoryStream();
        await ComponentCipher.EncryptAsync(new MemoryStream(plain), output, Key, id, chunk);
        return output.ToArray();
    }

    private static async Task<byte[]> Decrypt(byte[] cipher, string id = "rootfs", int chunk = 64)
    {
        using var output = new MemoryStream();
        await ComponentCipher.DecryptAsync(new MemoryStream(cipher), output, Key, id, chunk);
        return output.ToArray();
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(63)]
    [TestCase(64)]
    [TestCase(65)]
    [TestCase(640)]
    [TestCase(1000)]
    public async Task RoundTrip_AnySize_GivesThePlaintextBackAtThePredictedSize(int size)
    {
        var plain = new byte[size];
        new Random(size).NextBytes(plain);
        var cipher = await Encrypt(plain);
        Assert.That(cipher.LongLength, Is.EqualTo(ComponentCipher.EncryptedSize(size, 64)));
        Assert.That(await Decrypt(cipher), Is.EqualTo(plain));
    }

    [Test]
    public async Task Decrypt_CutAtAChunkBoundary_IsRefused()
    {
        var cipher = await Encrypt(new byte[200]);
        var e = Assert.ThrowsAsync<BundleRejectedException>(() => Decrypt(cipher[..(2 * (64 + 16))]))!;
        Assert.That(e.Reason, Is.EqualTo(BundleRejection.DecryptionFailed));
        Assert.That(e.Detail, Does.Contain("ends inside chunk 2"));
    }

    [Test]
    public async Task Decrypt_CutInsideAChunk_IsRefusedAsUnauthenticatedLastChunk()
    {
        var cipher = await Encrypt(new byte[200]);
        var e = Assert.ThrowsAsync<BundleRejectedException>(() => Decrypt(cipher[..100]))!;
        Assert.That(e.Detail, Does.Contain("chunk 1 at byte 80 does not authenticate as the last chunk"));
    }

    [Test]
    public async Task Decrypt_ChunksSwapped_IsRefused()
    {
        var cipher = await Encrypt(new byte[200]);
        var swapped = cipher[80..160].Concat(cipher[..80]).Concat(cipher[160..]).ToArray();
        Assert.That(() => Decrypt(swapped), Throws.TypeOf<BundleRejectedException>());
    }

    [Test]
    public async Task Decrypt_UnderAnotherComponentId_IsRefused()
    {
        var cipher = await Encrypt(new byte[10], id: "boot");
        Assert.That(() => Decrypt(cipher, id: "rootfs"), Throws.TypeOf<BundleRejectedException>());
    }

    [Test]
    public void KeyWrap_RoundTripsForTheRecipientOnly()
    {
        using var unit = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var wrapped = KeyWrap.Wrap(Key, unit);
        var info = new DecryptionInfo(DecryptionInfo.AesGcmChunked, 64, DecryptionInfo.EcdhP256Hkdf, [wrapped, KeyWrap.Wrap(Key, other)]);
        Assert.That(KeyWrap.Unwrap(info, unit), Is.EqualTo(Key));
        var tampered = info with { Recipients = [wrapped with { Salt = new byte[16] }] };
        Assert.That(() => KeyWrap.Unwrap(tampered, unit), Throws.TypeOf<BundleRejectedException>()
            .With.Message.Contains("does not authenticate"));
    }
}
