using HilRig.Storage;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class MerkleTests
{
    private static (MemoryBlockDevice Image, MemoryBlockDevice Hash, long Size, Digest Root) Build(long size)
    {
        var data = TestDisks.Image(7, size);
        var image = new MemoryBlockDevice(BlockDevice.AlignUp(size, 4096));
        image.Write(0, data.Concat(new byte[BlockDevice.AlignUp(size, 4096) - size]).ToArray());
        var leaves = MerkleTree.ComputeLeaves(image, size);
        var (tree, root) = MerkleTree.Build(leaves, size);
        var hash = new MemoryBlockDevice(MerkleTree.TreeBytes(size));
        hash.Write(0, tree);
        return (image, hash, size, root);
    }

    [TestCase(4096L, new long[] { 1 })]
    [TestCase(128L * 4096, new long[] { 1 })]
    [TestCase(129L * 4096, new long[] { 2, 1 })]
    [TestCase(128L * 128 * 4096 + 4096, new long[] { 129, 2, 1 })]
    public void Levels_follow_128_digests_per_hash_block(long size, long[] levels) =>
        Assert.That(MerkleTree.LevelBlocks(size), Is.EqualTo(levels));

    [TestCase(4096L)]
    [TestCase(1000L)]
    [TestCase(3L << 20)]
    [TestCase((3L << 20) + 123)]
    public void An_intact_slot_verifies_fully_and_sampled(long size)
    {
        var (image, hash, s, root) = Build(size);
        var full = MerkleTree.VerifyFull(image, hash, s, root);
        Assert.That(full.Ok, full.Describe("slot"));
        Assert.That(full.BlocksChecked, Is.EqualTo(MerkleTree.LeafCount(size)));
        Assert.That(MerkleTree.VerifySampled(image, hash, s, root, 16, 1).Ok);
    }

    [Test]
    public void A_changed_data_block_is_reported_by_index()
    {
        var (image, hash, size, root) = Build(3L << 20);
        var block = image.ReadBytes(517 * 4096L, 512);
        block[3] ^= 0x10;
        image.Write(517 * 4096L, block);
        var full = MerkleTree.VerifyFull(image, hash, size, root);
        Assert.That(full.Ok, Is.False);
        Assert.That(full.TamperedBlocks, Is.EqualTo(new long[] { 517 }));
        Assert.That(full.Describe("slot B"), Does.Contain("1 tampered block (4 KiB blocks, index 517)"));
        // A sampled check finds it when the block is sampled: try seeds until one picks 517 (deterministic).
        var found = Enumerable.Range(0, 400).Select(seed => MerkleTree.VerifySampled(image, hash, size, root, 64, (ulong)seed))
            .FirstOrDefault(r => !r.Ok);
        Assert.That(found, Is.Not.Null);
        Assert.That(found!.TamperedBlocks, Is.EqualTo(new long[] { 517 }));
    }

    [Test]
    public void A_corrupted_tree_is_told_apart_from_tampered_data()
    {
        var (image, hash, size, root) = Build(3L << 20);
        var l0 = hash.ReadBytes(4096, 512);   // level-0 hash block 1 (leaves 128..255)
        l0[40] ^= 1;
        hash.Write(4096, l0);
        var full = MerkleTree.VerifyFull(image, hash, size, root);
        Assert.That(full.TreeCorrupt);
        Assert.That((full.CorruptLevel, full.CorruptNode), Is.EqualTo((0, 1L)));
        Assert.That(full.DataMatchesRoot, Is.True);
        Assert.That(full.Describe("slot A"), Does.Contain("Merkle tree corrupt at level 0, hash block 1").And.Contain("data itself still matches"));
        var sampled = Enumerable.Range(0, 200).Select(s => MerkleTree.VerifySampled(image, hash, size, root, 16, (ulong)s)).First(r => !r.Ok);
        Assert.That(sampled.TreeCorrupt);
        Assert.That((sampled.CorruptLevel, sampled.CorruptNode), Is.EqualTo((0, 1L)));
    }

    [Test]
    public void The_wrong_root_is_a_corrupt_top()
    {
        var (image, hash, size, _) = Build(1L << 20);
        var r = MerkleTree.VerifyFull(image, hash, size, Digest.Sha256("other"u8));
        Assert.That(r.TreeCorrupt);
        Assert.That(r.CorruptLevel, Is.EqualTo(MerkleTree.LevelBlocks(size).Length - 1));
        Assert.That(r.DataMatchesRoot, Is.False);
    }
}
