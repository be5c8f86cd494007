using System.Buffers.Binary;
using System.Text;
using HilRig.AbUpdate.Delta;

namespace HilRig.AbUpdate.Ext4;

/// <summary>An image that is not ext2/3/4, or one whose metadata is damaged or uses a feature this reader does not follow.</summary>
public sealed class Ext4FormatException(string message) : Exception(message);

/// <summary>
/// A read-only reader of ext2/3/4 images, enough to map every file to its blocks: superblock, group descriptors (32- and
/// 64-bit), inodes, extent trees of any depth, indirect block maps, directories (hash-tree directories are read as the
/// plain dirent blocks they also are), inline data and fast symlinks. It never trusts a number from the image: every block
/// number, length and offset is checked, and a damaged image is reported with the inode, block or byte offset at fault.
/// </summary>
public sealed class Ext4Filesystem
{
    public const ushort Magic = 0xEF53;
    private const uint IncompatCompression = 0x1, IncompatFiletype = 0x2, IncompatJournalDev = 0x8, IncompatMetaBg = 0x10,
        Incompat64Bit = 0x80, IncompatInlineData = 0x8000;
    private const uint RoCompatBigalloc = 0x200;
    private const uint CompatHasJournal = 0x4;
    private const uint FlagExtents = 0x80000, FlagInlineData = 0x10000000, FlagHugeFile = 0x40000;
    private const int MaxExtentDepth = 5;

    private readonly ImageReader _image;
    private readonly long[] _inodeTables;
    private readonly bool _filetype;

    private Ext4Filesystem(ImageReader image, int blockSize, long blockCount, uint inodesPerGroup, int inodeSize, uint firstInode,
        uint inodeCount, long[] inodeTables, bool filetype, uint journalInode)
    {
        _image = image;
        BlockSize = blockSize;
        BlockCount = blockCount;
        InodesPerGroup = inodesPerGroup;
        InodeSize = inodeSize;
        FirstInode = firstInode;
        InodeCount = inodeCount;
        _inodeTables = inodeTables;
        _filetype = filetype;
        JournalInode = journalInode;
    }

    public int BlockSize { get; }
    public long BlockCount { get; }
    public uint InodesPerGroup { get; }
    public int InodeSize { get; }
    public uint FirstInode { get; }
    public uint InodeCount { get; }
    public uint JournalInode { get; }
    public int GroupCount => _inodeTables.Length;

    /// <summary>Whether the bytes look like an ext2/3/4 superblock at all (magic at byte 1080).</summary>
    public static bool LooksLikeExt(ImageReader image)
    {
        if (image.Length < 2048) return false;
        Span<byte> m = stackalloc byte[2];
        image.ReadAt(1024 + 0x38, m);
        return BinaryPrimitives.ReadUInt16LittleEndian(m) == Magic;
    }

    /// <summary>Opens the filesystem of an image: reads the superblock and the group descriptors.</summary>
    public static Ext4Filesystem Open(ImageReader image)
    {
        var where = image.Name;
        if (image.Length < 2048) throw new Ext4FormatException($"{where}: {image.Length} bytes, too short for an ext2/3/4 superblock (ends at 2048)");
        var sb = new byte[1024];
        image.ReadAt(1024, sb);
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(sb.AsSpan(0x38));
        if (magic != Magic) throw new Ext4FormatException($"{where}: no ext2/3/4 superblock (magic at byte 1080 is 0x{magic:x4}, expected 0xef53)");
        uint U32(int at) => BinaryPrimitives.ReadUInt32LittleEndian(sb.AsSpan(at));
        ushort U16(int at) => BinaryPrimitives.ReadUInt16LittleEndian(sb.AsSpan(at));

        var logBlock = U32(0x18);
        if (logBlock > 6) throw new Ext4FormatException($"{where}: superblock s_log_block_size {logBlock} at byte {1024 + 0x18} is not 0..6");
        var blockSize = 1024 << (int)logBlock;
        var incompat = U32(0x60);
        var roCompat = U32(0x64);
        foreach (var (bit, name) in new[] { (IncompatCompression, "compression"), (IncompatJournalDev, "journal_dev"), (IncompatMetaBg, "meta_bg") })
            if ((incompat & bit) != 0) throw new Ext4FormatException($"{where}: ext4 feature {name} (incompat 0x{bit:x}) is not supported");
        if ((roCompat & RoCompatBigalloc) != 0) throw new Ext4FormatException($"{where}: ext4 feature bigalloc (ro_compat 0x200) is not supported");

        long blockCount = U32(0x04);
        if ((incompat & Incompat64Bit) != 0) blockCount |= (long)U32(0x150) << 32;
        var firstDataBlock = U32(0x14);
        var blocksPerGroup = U32(0x20);
        var inodesPerGroup = U32(0x28);
        var inodeCount = U32(0x00);
        var rev = U32(0x4C);
        var inodeSize = rev == 0 ? 128 : U16(0x58);
        var firstInode = rev == 0 ? 11u : U32(0x54);
        if (blockCount == 0 || blocksPerGroup == 0 || inodesPerGroup == 0 || firstDataBlock >= blockCount)
            throw new Ext4FormatException($"{where}: superblock has {blockCount} blocks, {blocksPerGroup} blocks and {inodesPerGroup} inodes per group, first data block {firstDataBlock}");
        if (inodeSize < 128 || inodeSize > blockSize || (inodeSize & (inodeSize - 1)) != 0)
            throw new Ext4FormatException($"{where}: superblock inode size {inodeSize} at byte {1024 + 0x58} is not a power of two between 128 and the block size");
        if (blockCount * blockSize > image.Length)
            throw new Ext4FormatException($"{where}: the superblock declares {blockCount} blocks of {blockSize} bytes ({blockCount * blockSize} bytes), the image ends at {image.Length}");

        var descSize = (incompat & Incompat64Bit) != 0 ? U16(0xFE) : 32;
        if (descSize < 32 || descSize > blockSize || (descSize & (descSize - 1)) != 0)
            throw new Ext4FormatException($"{where}: group descriptor size {descSize} at byte {1024 + 0xFE} is not a power of two from 32");
        var groups = (blockCount - firstDataBlock + blocksPerGroup - 1) / blocksPerGroup;
        if (groups * inodesPerGroup < inodeCount || groups > int.MaxValue)
            throw new Ext4FormatException($"{where}: {groups} groups of {inodesPerGroup} inodes cannot hold the {inodeCount} inodes the superblock declares");
        var gdtOffset = (firstDataBlock + 1L) * blockSize;
        var gdt = new byte[groups * descSize];
        if (gdtOffset + gdt.Length > image.Length) throw new Ext4FormatException($"{where}: group descriptors at {gdtOffset}..{gdtOffset + gdt.Length} run past the image");
        image.ReadAt(gdtOffset, gdt);
        var tables = new long[groups];
        var tableBlocks = (inodesPerGroup * (long)inodeSize + blockSize - 1) / blockSize;
        for (var g = 0; g < groups; g++)
        {
            var d = gdt.AsSpan(g * descSize, descSize);
            long table = BinaryPrimitives.ReadUInt32LittleEndian(d[0x08..]);
            if (descSize >= 64) table |= (long)BinaryPrimitives.ReadUInt32LittleEndian(d[0x28..]) << 32;
            if (table < firstDataBlock || table + tableBlocks > blockCount)
                throw new Ext4FormatException($"{where}: group {g}'s descriptor (byte {gdtOffset + g * descSize}) puts its inode table at block {table}, outside blocks {firstDataBlock}..{blockCount - 1}");
            tables[g] = table;
        }
        var journal = (U32(0x5C) & CompatHasJournal) != 0 ? U32(0xE0) : 0;
        return new Ext4Filesystem(image, blockSize, blockCount, inodesPerGroup, inodeSize, firstInode, inodeCount, tables,
            (incompat & IncompatFiletype) != 0, journal) { InlineDataFeature = (incompat & IncompatInlineData) != 0 };
    }

    public bool InlineDataFeature { get; private init; }

    /// <summary>The byte offset of an inode's record.</summary>
    public long InodeOffset(uint inode)
    {
        if (inode == 0 || inode > InodeCount) throw new Ext4FormatException($"{_image.Name}: inode {inode} is outside 1..{InodeCount}");
        var group = (inode - 1) / InodesPerGroup;
        var index = (inode - 1) % InodesPerGroup;
        return _inodeTables[group] * BlockSize + index * (long)InodeSize;
    }

    private byte[] ReadInode(uint inode)
    {
        var raw = new byte[InodeSize];
        _image.ReadAt(InodeOffset(inode), raw);
        return raw;
    }

    private byte[] ReadBlock(long block, string what)
    {
        if (block <= 0 || block >= BlockCount) throw new Ext4FormatException($"{_image.Name}: {what} points at block {block}, outside 1..{BlockCount - 1}");
        var b = new byte[BlockSize];
        _image.ReadAt(block * BlockSize, b);
        return b;
    }

    /// <summary>
    /// Every inode reachable from the root directory, plus the journal: one entry per inode (a hard-linked inode under its
    /// first path in ordinal order), sorted by path.
    /// </summary>
    public IReadOnlyList<Ext4Entry> ReadEntries()
    {
        var paths = new Dictionary<uint, string>();
        var dirs = new Stack<(uint Inode, string Path)>();
        var visited = new HashSet<uint>();
        paths[2] = "/";
        dirs.Push((2, "/"));
        while (dirs.Count > 0)
        {
            var (dir, dirPath) = dirs.Pop();
            if (!visited.Add(dir)) continue;
            var raw = ReadInode(dir);
            if ((Mode(raw) & 0xF000) != 0x4000)
                throw new Ext4FormatException($"{_image.Name}: {dirPath} (inode {dir}, byte {InodeOffset(dir)}) is listed as a directory but its mode is 0x{Mode(raw):x4}");
            foreach (var (child, name) in ReadDirectory(dir, raw, dirPath))
            {
                var path = dirPath == "/" ? "/" + name : dirPath + "/" + name;
                var known = paths.GetValueOrDefault(child);
                if ((Mode(ReadInode(child)) & 0xF000) == 0x4000)
                {
                    // A directory has exactly one name; a second one would make the walk loop.
                    if (known is not null) throw new Ext4FormatException($"{_image.Name}: directory inode {child} is linked twice ({known} and {path})");
                    paths[child] = path;
                    dirs.Push((child, path));
                }
                else if (known is null || string.CompareOrdinal(path, known) < 0) paths[child] = path;
            }
        }

        var entries = new List<Ext4Entry>(paths.Count + 1);
        foreach (var (inode, path) in paths) entries.Add(ReadEntry(inode, path));
        if (JournalInode != 0 && !paths.ContainsKey(JournalInode)) entries.Add(ReadEntry(JournalInode, "$journal", Ext4EntryKind.Journal));
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return entries;
    }

    private static ushort Mode(byte[] raw) => BinaryPrimitives.ReadUInt16LittleEndian(raw);
    private static uint Flags(byte[] raw) => BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(0x20));
    private static long Size(byte[] raw) => BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(0x04)) | (long)BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(0x6C)) << 32;

    /// <summary>Reads one inode's mapping.</summary>
    public Ext4Entry ReadEntry(uint inode, string path, Ext4EntryKind? kind = null)
    {
        var raw = ReadInode(inode);
        var mode = Mode(raw);
        var flags = Flags(raw);
        var size = Size(raw);
        kind ??= (mode & 0xF000) switch
        {
            0x8000 => Ext4EntryKind.File,
            0x4000 => Ext4EntryKind.Directory,
            0xA000 => Ext4EntryKind.Symlink,
            _ => Ext4EntryKind.Special,
        };
        var where = $"{_image.Name}: {path} (inode {inode}, byte {InodeOffset(inode)})";
        if (size < 0) throw new Ext4FormatException($"{where}: negative size {size}");
        var extents = new List<Ext4Extent>();
        var map = new List<long>();
        var inline = (flags & FlagInlineData) != 0;
        if (kind == Ext4EntryKind.Special || inline || (kind == Ext4EntryKind.Symlink && IsFastSymlink(raw, flags, size)))
            return new Ext4Entry(path, inode, kind.Value, size, extents, map, inline);
        if ((flags & FlagExtents) != 0)
            WalkExtents(raw.AsSpan(0x28, 60), -1, extents, map, where);
        else
            WalkIndirect(raw.AsSpan(0x28, 60), size, extents, map, where);
        extents.Sort((a, b) => a.Logical.CompareTo(b.Logical));
        for (var i = 1; i < extents.Count; i++)
            if (extents[i].Logical < extents[i - 1].Logical + extents[i - 1].Length)
                throw new Ext4FormatException($"{where}: extents overlap at logical block {extents[i].Logical}");
        return new Ext4Entry(path, inode, kind.Value, size, extents, map, false);
    }

    /// <summary>A symlink whose target sits in i_block: it owns no data block (an xattr block is not data).</summary>
    private bool IsFastSymlink(byte[] raw, uint flags, long size)
    {
        long sectors = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(0x1C));
        if ((flags & FlagHugeFile) != 0) sectors *= BlockSize / 512;
        var xattrBlock = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(0x68)) | (long)BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(0x76)) << 32;
        if (xattrBlock != 0) sectors -= BlockSize / 512;
        return sectors <= 0 && size < 60;
    }

    private void WalkExtents(ReadOnlySpan<byte> node, int expectedDepth, List<Ext4Extent> extents, List<long> map, string where)
    {
        var magic = BinaryPrimitives.ReadUInt16LittleEndian(node);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(node[2..]);
        var max = BinaryPrimitives.ReadUInt16LittleEndian(node[4..]);
        var depth = BinaryPrimitives.ReadUInt16LittleEndian(node[6..]);
        if (magic != 0xF30A) throw new Ext4FormatException($"{where}: extent node magic 0x{magic:x4}, expected 0xf30a");
        if (count > max || 12 + count * 12 > node.Length)
            throw new Ext4FormatException($"{where}: extent node holds {count} entries (max {max}) in {node.Length} bytes");
        if (depth > MaxExtentDepth || (expectedDepth >= 0 && depth != expectedDepth))
            throw new Ext4FormatException($"{where}: extent node depth {depth}{(expectedDepth >= 0 ? $", expected {expectedDepth}" : "")}");
        for (var i = 0; i < count; i++)
        {
            var e = node.Slice(12 + i * 12, 12);
            var logical = BinaryPrimitives.ReadUInt32LittleEndian(e);
            if (depth == 0)
            {
                int length = BinaryPrimitives.ReadUInt16LittleEndian(e[4..]);
                var uninit = length > 32768;
                if (uninit) length -= 32768;
                var start = (long)BinaryPrimitives.ReadUInt16LittleEndian(e[6..]) << 32 | BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
                if (length == 0 || start <= 0 || start + length > BlockCount)
                    throw new Ext4FormatException($"{where}: extent of logical block {logical} maps {length} blocks at {start}, outside 1..{BlockCount - 1}");
                extents.Add(new Ext4Extent(logical, start, length, uninit));
            }
            else
            {
                var child = (long)BinaryPrimitives.ReadUInt16LittleEndian(e[8..]) << 32 | BinaryPrimitives.ReadUInt32LittleEndian(e[4..]);
                var block = ReadBlock(child, $"{where}: extent index of logical block {logical}");
                map.Add(child);
                if (map.Count > BlockCount) throw new Ext4FormatException($"{where}: extent tree has more nodes than the filesystem has blocks");
                WalkExtents(block, depth - 1, extents, map, where);
            }
        }
    }

    private void WalkIndirect(ReadOnlySpan<byte> iblock, long size, List<Ext4Extent> extents, List<long> map, string where)
    {
        var blocks = (size + BlockSize - 1) / BlockSize;
        long logical = 0;
        void Add(long physical)
        {
            if (physical != 0)
            {
                if (physical >= BlockCount) throw new Ext4FormatException($"{where}: logical block {logical} maps to block {physical}, outside 1..{BlockCount - 1}");
                if (extents.Count > 0 && extents[^1] is var last && last.Logical + last.Length == logical && last.Physical + last.Length == physical && last.Length < int.MaxValue)
                    extents[^1] = last with { Length = last.Length + 1 };
                else extents.Add(new Ext4Extent(logical, physical, 1));
            }
            logical++;
        }
        var perBlock = BlockSize / 4;
        void Walk(long block, int level)
        {
            // A hole in a map block is a hole of every block it would have mapped.
            var span = level switch { 1 => perBlock, 2 => (long)perBlock * perBlock, _ => (long)perBlock * perBlock * perBlock };
            if (block == 0)
            {
                logical += span;
                return;
            }
            var b = ReadBlock(block, $"{where}: indirect block (level {level}) for logical block {logical}");
            map.Add(block);
            for (var i = 0; i < perBlock && logical < blocks; i++)
            {
                var p = BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(i * 4));
                if (level == 1) Add(p);
                else Walk(p, level - 1);
            }
        }
        for (var i = 0; i < 12 && logical < blocks; i++) Add(BinaryPrimitives.ReadUInt32LittleEndian(iblock[(i * 4)..]));
        for (var level = 1; level <= 3 && logical < blocks; level++) Walk(BinaryPrimitives.ReadUInt32LittleEndian(iblock[((11 + level) * 4)..]), level);
    }

    /// <summary>The (inode, name) entries of a directory, "." and ".." left out; hash-tree nodes read as empty dirent blocks.</summary>
    private List<(uint Inode, string Name)> ReadDirectory(uint inode, byte[] raw, string path)
    {
        var result = new List<(uint, string)>();
        var where = $"{_image.Name}: directory {path} (inode {inode})";
        if ((Flags(raw) & FlagInlineData) != 0)
        {
            // i_block: the parent's inode number, then dirents; more may continue in the system.data xattr.
            ParseDirents(raw.AsSpan(0x28 + 4, 56), result, $"{where}, inline data");
            if (InlineXattr(raw, "data") is { } more) ParseDirents(more, result, $"{where}, inline data xattr");
            return result;
        }
        var entry = ReadEntry(inode, path, Ext4EntryKind.Directory);
        foreach (var e in entry.Extents)
        {
            if (e.Uninitialized) continue;
            for (var i = 0; i < e.Length; i++)
                ParseDirents(ReadBlock(e.Physical + i, where), result, $"{where}, block {e.Physical + i}");
        }
        return result;
    }

    private void ParseDirents(ReadOnlySpan<byte> area, List<(uint, string)> result, string where)
    {
        var pos = 0;
        while (pos + 8 <= area.Length)
        {
            var child = BinaryPrimitives.ReadUInt32LittleEndian(area[pos..]);
            int recLen = BinaryPrimitives.ReadUInt16LittleEndian(area[(pos + 4)..]);
            if (BlockSize == 65536 && recLen is 0 or 65535) recLen = 65536;
            else if (BlockSize == 65536) recLen = (recLen & 65532) | ((recLen & 3) << 16);
            int nameLen = _filetype ? area[pos + 6] : BinaryPrimitives.ReadUInt16LittleEndian(area[(pos + 6)..]);
            if (recLen < 8 || recLen % 4 != 0 || pos + recLen > area.Length || (child != 0 && 8 + nameLen > recLen))
                throw new Ext4FormatException($"{where}: dirent at byte {pos} has rec_len {recLen} and name_len {nameLen}, which do not fit the {area.Length - pos} bytes left");
            if (child != 0)
            {
                if (child > InodeCount) throw new Ext4FormatException($"{where}: dirent at byte {pos} names inode {child}, outside 1..{InodeCount}");
                var name = Encoding.UTF8.GetString(area.Slice(pos + 8, nameLen));
                if (nameLen == 0 || name.Contains('/') || name.Contains('\0'))
                    throw new Ext4FormatException($"{where}: dirent at byte {pos} has an invalid name ({nameLen} bytes)");
                if (name is not ("." or "..")) result.Add((child, name));
            }
            pos += recLen;
        }
    }

    /// <summary>The value of a "system." extended attribute kept inside the inode (after i_extra_isize), or null.</summary>
    private byte[]? InlineXattr(byte[] raw, string systemName)
    {
        if (InodeSize <= 128) return null;
        int extra = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(0x80));
        var start = 128 + extra;
        if (start + 4 > raw.Length || BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(start)) != 0xEA020000) return null;
        var first = start + 4;
        var pos = first;
        while (pos + 16 <= raw.Length && BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(pos)) != 0)
        {
            int nameLen = raw[pos];
            var index = raw[pos + 1];
            int valueOffset = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(pos + 2));
            var valueSize = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(pos + 8));
            if (pos + 16 + nameLen > raw.Length) break;
            var name = Encoding.ASCII.GetString(raw, pos + 16, nameLen);
            if (index == 7 && name == systemName)
            {
                if (first + valueOffset + valueSize > raw.Length)
                    throw new Ext4FormatException($"{_image.Name}: inode xattr system.{systemName} value at {valueOffset} ({valueSize} bytes) runs past the inode");
                return raw.AsSpan(first + valueOffset, (int)valueSize).ToArray();
            }
            pos += (16 + nameLen + 3) & ~3;
        }
        return null;
    }
}
