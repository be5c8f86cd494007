using System.Security.Cryptography;
using HilRig.Update.Bundles;
using NUnit.Framework;

namespace HilRig.Update.Tests.Bundles;

/// <summary>Hashing while writing gives what hashing the written bytes afterwards would.</summary>
public class HashingStreamTests
{
    private static readonly byte[] Data = RandomNumberGenerator.GetBytes(300_001);

    [Test]
    public async Task WrittenThrough_PassesEveryByteOn_AndHashesThem()
    {
        var output = new MemoryStream();
        await using var hashing = new HashingStream(output, sha512: true);
        for (var offset = 0; offset < Data.Length; offset += 65_537)
            await hashing.WriteAsync(Data.AsMemory(offset, Math.Min(65_537, Data.Length - offset)));

        var hashes = hashing.Hashes();
        Assert.That(output.ToArray(), Is.EqualTo(Data));
        Assert.That((hashes.Sha256, hashes.Sha512, hashes.Size), Is.EqualTo((SHA256.HashData(Data), SHA512.HashData(Data), (long)Data.Length)));
    }

    [Test]
    public async Task WithoutSha512_HashesOnlySha256()
    {
        await using var hashing = new HashingStream(Stream.Null);
        hashing.Write(Data);
        Assert.That((hashing.Hashes().Sha256, hashing.Hashes().Sha512), Is.EqualTo((SHA256.HashData(Data), (byte[]?)null)));
    }

    [Test]
    public async Task HashStream_StopsReadingPastTheLimit()
    {
        var all = await ComponentIntegrity.HashStreamAsync(new MemoryStream(Data));
        Assert.That((all.Sha256, all.Sha512, all.Size), Is.EqualTo((SHA256.HashData(Data), SHA512.HashData(Data), (long)Data.Length)));
        var limited = await ComponentIntegrity.HashStreamAsync(new MemoryStream(Data), limit: 1000);
        Assert.That(limited.Size, Is.GreaterThan(1000).And.LessThan(Data.Length));
    }
}
