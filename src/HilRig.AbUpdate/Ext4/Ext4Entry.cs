namespace HilRig.AbUpdate.Ext4;

public enum Ext4EntryKind
{
    File,
    Directory,
    Symlink,
    /// <summary>A reserved inode with data blocks of its own: the journal (inode 8).</summary>
    Journal,
    /// <summary>Devices, FIFOs, sockets: no data blocks.</summary>
    Special,
}

/// <summary>
/// A run of a file's blocks: logical blocks <see cref="Logical"/>.. are filesystem blocks <see cref="Physical"/>.. on
/// disk. An uninitialized (preallocated) extent reads as zeros in the file but its blocks hold whatever the disk holds.
/// </summary>
public readonly record struct Ext4Extent(long Logical, long Physical, int Length, bool Uninitialized = false);

/// <summary>
/// One inode reachable from the root (or a reserved inode with data): its first path in name order, its size, the
/// filesystem blocks holding its data (logical order), and the blocks that only map them (extent-tree nodes, indirect
/// blocks). Data stored inside the inode (inline data, fast symlinks) has no extents.
/// </summary>
public sealed record Ext4Entry(
    string Path, uint Inode, Ext4EntryKind Kind, long Size,
    IReadOnlyList<Ext4Extent> Extents, IReadOnlyList<long> MapBlocks, bool InlineData)
{
    /// <summary>Filesystem blocks of data (holes excluded).</summary>
    public long DataBlocks => Extents.Sum(e => (long)e.Length);

    public string Name => Path == "/" ? "/" : Path[(Path.LastIndexOf('/') + 1)..];

    public override string ToString() => $"{Path} (inode {Inode}, {Kind}, {Size} bytes, {Extents.Count} extents)";
}
