using System.Text;
using System.Text.RegularExpressions;
using HilRig.AbUpdate.Delta;
using HilRig.AbUpdate.Ext4;
using HilRig.Storage;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

/// <summary>The ext4 reader against images e2fsprogs made and against what debugfs says about them.</summary>
public class Ext4ReaderTests
{
    /// <summary>A tree that needs every mapping the reader follows.</summary>
    private static string HardTree(string root)
    {
        Ext4Images.Tree(root, 1, files: 6);
        // Every other 4 KiB block zero: mke2fs leaves those as holes, so the file has dozens of extents and an extent tree
        // deeper than the four extents an inode holds.
        var sparse = new byte[4096 * 80];
        for (var b = 0; b < 80; b += 2) new SeededRng((ulong)b + 5).Fill(sparse.AsSpan(b * 4096, 4096));
        File.WriteAllBytes(Path.Combine(root, "usr/lib/sparse.db"), sparse);
        File.WriteAllBytes(Path.Combine(root, "usr/lib/big.bin"), Ext4Images.Binary(3, 1_500_000));
        File.CreateSymbolicLink(Path.Combine(root, "usr/lib/long-link"), "/" + new string('x', 90) + "/target");   // slow symlink: a data block
        File.CreateSymbolicLink(Path.Combine(root, "usr/lib/short-link"), "big.bin");                           // fast symlink: in the inode
        Assert.That(Ext4Images.Run("ln", Path.Combine(root, "usr/bin/tool00"), Path.Combine(root, "usr/bin/tool00-again")).Code, Is.Zero);
        var many = Path.Combine(root, "var/lib/many");
        Directory.CreateDirectory(many);
        for (var i = 0; i < 400; i++) File.WriteAllText(Path.Combine(many, $"entry-with-a-long-name-{i:0000}"), $"{i}\n");
        var deep = root;
        for (var i = 0; i < 12; i++) deep = Path.Combine(deep, $"d{i}");
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "leaf"), "deep\n");
        return root;
    }

    /// <summary>The blocks debugfs lists for each inode (data and mapping blocks, in its order).</summary>
    private static Dictionary<uint, long[]> DebugfsBlocks(string image, IEnumerable<uint> inodes)
    {
        var list = inodes.ToList();
        var script = Path.Combine(Path.GetDirectoryName(image)!, "blocks.debugfs");
        File.WriteAllLines(script, list.Select(i => $"blocks <{i}>"));
        var (code, output) = Ext4Images.Run(Ext4Images.Tool("debugfs"), "-f", script, image);
        Assert.That(code, Is.Zero, output);
        var result = new Dictionary<uint, long[]>();
        uint? current = null;
        foreach (var line in output.Split('\n'))
        {
            var m = Regex.Match(line, @"^debugfs: blocks <(\d+)>");
            if (m.Success) current = uint.Parse(m.Groups[1].Value);
            else if (current is { } c && !line.StartsWith("debugfs ", StringComparison.Ordinal))
            {
                result[c] = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
                current = null;
            }
        }
        return result;
    }

    private static void AssertMatchesDebugfs(string image, IReadOnlyList<Ext4Entry> entries)
    {
        // debugfs reads a fast symlink's target text in i_block as block numbers; it owns no block (checked apart).
        entries = entries.Where(e => !(e.Kind == Ext4EntryKind.Symlink && e.Size < 60)).ToList();
        var theirs = DebugfsBlocks(image, entries.Select(e => e.Inode));
        foreach (var e in entries)
        {
            var mine = e.Extents.SelectMany(x => Enumerable.Range(0, x.Length).Select(i => x.Physical + i)).Concat(e.MapBlocks).Order().ToArray();
            Assert.That(mine, Is.EqualTo(theirs.GetValueOrDefault(e.Inode, []).Order().ToArray()), $"blocks of {e}");
        }
    }

    private static IReadOnlyList<Ext4Entry> Read(string image)
    {
        using var reader = ImageReader.FromFile(image);
        return Ext4Filesystem.Open(reader).ReadEntries();
    }

    [Test]
    public void Maps_every_file_like_debugfs_including_deep_extent_trees_symlinks_hard_links_and_hashed_directories()
    {
        var dir = RepoPaths.NewTempDirectory("ext4-read");
        var tree = HardTree(Path.Combine(dir, "tree"));
        var image = Path.Combine(dir, "fs.ext4");
        Ext4Images.Make(tree, image, 16 << 20);
        // e2fsck -D rebuilds the large directory as a hash tree (dx_root, dx nodes), which the reader must read as dirents.
        var (fsck, fsckOut) = Ext4Images.Run(Ext4Images.Tool("e2fsck"), "-fyD", image);
        Assert.That(fsck, Is.LessThanOrEqualTo(1), fsckOut);
        var (_, stat) = Ext4Images.Run(Ext4Images.Tool("debugfs"), "-R", "stat /var/lib/many", image);
        Assert.That(stat, Does.Match(@"Flags: 0x[0-9a-f]*1[0-9a-f]{3}\b"), "the directory is hash-indexed (EXT4_INDEX_FL 0x1000)");

        var entries = Read(image);
        var paths = entries.Select(e => e.Path).ToHashSet();
        foreach (var f in Directory.EnumerateFileSystemEntries(tree, "*", SearchOption.AllDirectories))
        {
            var path = "/" + Path.GetRelativePath(tree, f).Replace('\\', '/');
            if (path == "/usr/bin/tool00-again") continue;   // the hard link: one entry, its first path
            Assert.That(paths, Does.Contain(path));
        }
        Assert.That(entries.Count(e => e.Inode == entries.Single(x => x.Path == "/usr/bin/tool00").Inode), Is.EqualTo(1));
        var sparse = entries.Single(e => e.Path == "/usr/lib/sparse.db");
        Assert.That(sparse.Extents, Has.Count.EqualTo(40));
        Assert.That(sparse.MapBlocks, Is.Not.Empty, "an extent tree with index nodes (depth > 0)");
        Assert.That(entries.Single(e => e.Path == "/usr/lib/long-link").Extents, Has.Count.EqualTo(1));
        Assert.That(entries.Single(e => e.Path == "/usr/lib/short-link").Extents, Is.Empty);
        Assert.That(entries.Single(e => e.Path == "/var/lib/many").DataBlocks, Is.GreaterThan(3));
        Assert.That(entries.Any(e => e.Kind == Ext4EntryKind.Journal));
        foreach (var f in Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).Where(f => new FileInfo(f).LinkTarget is null))
        {
            var e = entries.FirstOrDefault(x => x.Path == "/" + Path.GetRelativePath(tree, f));
            if (e is not null) Assert.That(e.Size, Is.EqualTo(new FileInfo(f).Length), e.Path);
        }
        AssertMatchesDebugfs(image, entries);
    }

    [Test]
    public void Reads_inline_data_and_the_indirect_block_maps_of_ext2()
    {
        var dir = RepoPaths.NewTempDirectory("ext4-inline");
        var tree = Path.Combine(dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "small/dir"));
        File.WriteAllText(Path.Combine(tree, "small/tiny"), "fits in the inode\n");
        File.WriteAllText(Path.Combine(tree, "small/dir/also"), "x");
        File.WriteAllBytes(Path.Combine(tree, "large"), Ext4Images.Binary(8, 600_000));

        var inline = Path.Combine(dir, "inline.ext4");
        Ext4Images.Make(tree, inline, 8 << 20, "-O", "inline_data", "-I", "256");
        var entries = Read(inline);
        Assert.That(entries.Single(e => e.Path == "/small/tiny").InlineData, Is.True);
        Assert.That(entries.Single(e => e.Path == "/small/tiny").Extents, Is.Empty);
        Assert.That(entries.Single(e => e.Path == "/small/dir").InlineData, Is.True, "an inline directory, whose entries are still found");
        Assert.That(entries.Select(e => e.Path), Does.Contain("/small/dir/also"));
        AssertMatchesDebugfs(inline, entries);

        // ext2 with 1 KiB blocks: 12 direct pointers, then single and double indirect blocks for a 600 KB file.
        var ext2 = Path.Combine(dir, "fs.ext2");
        Ext4Images.Make(tree, ext2, 8 << 20, "-t", "ext2", "-b", "1024");
        entries = Read(ext2);
        var large = entries.Single(e => e.Path == "/large");
        Assert.That(large.MapBlocks.Count, Is.GreaterThanOrEqualTo(3), "single, double and the double's indirect blocks");
        Assert.That(large.DataBlocks, Is.EqualTo((600_000 + 1023) / 1024));
        AssertMatchesDebugfs(ext2, entries);
    }

    [Test]
    public void A_damaged_or_foreign_image_is_reported_with_the_place_and_the_delta_falls_back_to_blocks()
    {
        Assert.That(Ext4Filesystem.LooksLikeExt(ImageReader.FromBytes(new byte[8192])), Is.False);
        var e = Assert.Throws<Ext4FormatException>(() => Ext4Filesystem.Open(ImageReader.FromBytes(new byte[8192], "zeros.img")))!;
        Assert.That(e.Message, Is.EqualTo("zeros.img: no ext2/3/4 superblock (magic at byte 1080 is 0x0000, expected 0xef53)"));

        var dir = RepoPaths.NewTempDirectory("ext4-damaged");
        var tree = Ext4Images.Tree(Path.Combine(dir, "tree"), 1, files: 4);
        var image = Path.Combine(dir, "fs.ext4");
        Ext4Images.Make(tree, image, 8 << 20);
        var bytes = File.ReadAllBytes(image);
        var entries = Read(image);
        var victim = entries.Single(x => x.Path == "/usr/lib/libthing.so.1.2");
        using var reader = ImageReader.FromBytes(bytes);
        var at = Ext4Filesystem.Open(reader).InodeOffset(victim.Inode);
        // The first extent's start (i_block + 12 + 8) now points past the end of the filesystem.
        BitConverter.TryWriteBytes(bytes.AsSpan((int)at + 0x28 + 12 + 8), 0x7FFF_0000u);
        e = Assert.Throws<Ext4FormatException>(() => Ext4Filesystem.Open(ImageReader.FromBytes(bytes, "bad.ext4")).ReadEntries())!;
        Assert.That(e.Message, Does.StartWith($"bad.ext4: /usr/lib/libthing.so.1.2 (inode {victim.Inode}, byte {at}): extent of logical block 0 maps"));

        var stats = FileDelta.Create(new MemoryStream(File.ReadAllBytes(image)), new MemoryStream(bytes), new MemoryStream(), new FileDeltaOptions { Level = 3 });
        Assert.That(stats.Mode, Does.StartWith("block + byte-level (new image: /usr/lib/libthing.so.1.2"));
    }
}
