using HilRig.Storage;

namespace HilRig.AbUpdate;

public enum SlotName
{
    A = 0,
    B = 1,
}

public static class SlotNames
{
    public static SlotName Other(this SlotName s) => s == SlotName.A ? SlotName.B : SlotName.A;

    public static SlotName Parse(string text) => text.Trim().ToUpperInvariant() switch
    {
        "A" or "ROOTFS_A" => SlotName.A,
        "B" or "ROOTFS_B" => SlotName.B,
        _ => throw new FormatException($"slot '{text}': expected A or B"),
    };
}

/// <summary>
/// Sizes of an A/B disk: GPT (1 MiB head, backup at the tail), a 1 MiB boot-control partition, two slot partitions
/// (image area plus a Merkle hash area) and a data partition, all 1 MiB-aligned.
/// </summary>
public sealed record AbLayout(long SlotCapacity, long DataBytes, int SectorSize = 512)
{
    public const long MiB = 1L << 20;
    public const long BootControlBytes = MiB;
    public const int BlockSize = MerkleTree.BlockSize;

    public long HashAreaBytes => MerkleTree.TreeBytes(SlotCapacity);
    /// <summary>Exactly the image area plus the hash area, so the capacity read back from the GPT is <see cref="SlotCapacity"/>.</summary>
    public long SlotPartitionBytes => SlotCapacity + HashAreaBytes;
    public long DiskBytes => MiB + BootControlBytes + 2 * BlockDevice.AlignUp(SlotPartitionBytes, MiB) + DataBytes + MiB;

    /// <summary>A layout whose slots hold images of up to <paramref name="slotCapacity"/> bytes.</summary>
    public static AbLayout ForSlot(long slotCapacity, long dataBytes = MiB, int sectorSize = 512)
    {
        if (slotCapacity <= 0 || slotCapacity % BlockSize != 0)
            throw new ArgumentException($"slot capacity {slotCapacity} is not a positive multiple of {BlockSize}");
        if (dataBytes < MiB || dataBytes % MiB != 0) throw new ArgumentException($"data partition size {dataBytes} is not a positive multiple of 1 MiB");
        return new AbLayout(slotCapacity, dataBytes, sectorSize);
    }

    /// <summary>The layout that fills a disk of <paramref name="diskBytes"/>: 1/8 for data (at least 1 MiB), the rest split between the slots.</summary>
    public static AbLayout ForDisk(long diskBytes, int sectorSize = 512)
    {
        if (diskBytes % MiB != 0) throw new ArgumentException($"disk size {diskBytes} is not a multiple of 1 MiB");
        var data = Math.Max(MiB, BlockDevice.AlignDown(diskBytes / 8, MiB));
        var slotPart = BlockDevice.AlignDown((diskBytes - 3 * MiB - data) / 2, MiB);
        if (slotPart < MiB) throw new ArgumentException($"disk size {BlockDevice.FormatSize(diskBytes)} is too small for an A/B layout (at least 6 MiB)");
        var layout = new AbLayout(SlotGeometry.CapacityFor(slotPart), data, sectorSize);
        // Give the data partition whatever alignment left over.
        return layout with { DataBytes = data + (diskBytes - layout.DiskBytes) };
    }
}

/// <summary>Where a slot's image area and hash area lie inside its partition.</summary>
public static class SlotGeometry
{
    /// <summary>The largest image capacity (a multiple of 4 KiB) whose data plus Merkle tree fits a partition.</summary>
    public static long CapacityFor(long partitionBytes)
    {
        var c = BlockDevice.AlignDown(partitionBytes * 128 / 129, MerkleTree.BlockSize);
        while (c > 0 && c + MerkleTree.TreeBytes(c) > partitionBytes) c -= MerkleTree.BlockSize;
        while (c + MerkleTree.BlockSize + MerkleTree.TreeBytes(c + MerkleTree.BlockSize) <= partitionBytes) c += MerkleTree.BlockSize;
        return c;
    }
}

/// <summary>A slot on an open disk: its partition, the image area (what the root filesystem sees) and the hash area.</summary>
public sealed class Slot
{
    internal Slot(SlotName name, GptPartition partition, IBlockDevice disk)
    {
        Name = name;
        Partition = partition;
        Capacity = SlotGeometry.CapacityFor(partition.Length);
        Image = new PartitionView(disk, partition.Offset, Capacity, $"{partition.Name}");
        HashArea = new PartitionView(disk, partition.Offset + Capacity, MerkleTree.TreeBytes(Capacity), $"{partition.Name}.hash");
    }

    public SlotName Name { get; }
    public GptPartition Partition { get; }
    public long Capacity { get; }
    public PartitionView Image { get; }
    public PartitionView HashArea { get; }

    public string Where => $"partition {Partition.Number} '{Partition.Name}' (LBA {Partition.FirstLba}..{Partition.LastLba})";
}

/// <summary>
/// A disk with the HilRig A/B layout: GPT with partitions bootctl, rootfs_a, rootfs_b and data.
/// </summary>
public sealed class AbDisk
{
    /// <summary>Partition type of the boot-control partition (HilRig-specific).</summary>
    public static readonly Guid BootControlType = new("6B2F3D1A-5C4E-4E0B-9A7D-48494C524947");
    public const string BootControlName = "bootctl";
    public const string SlotAName = "rootfs_a";
    public const string SlotBName = "rootfs_b";
    public const string DataName = "data";

    private AbDisk(IBlockDevice device, GptTable table, GptPartition bootctl, GptPartition a, GptPartition b, GptPartition data)
    {
        Device = device;
        Table = table;
        BootControlPartition = bootctl;
        DataPartition = data;
        SlotA = new Slot(SlotName.A, a, device);
        SlotB = new Slot(SlotName.B, b, device);
        BootControl = new BootControlStore(new PartitionView(device, bootctl.Offset, bootctl.Length, bootctl.Name));
    }

    public IBlockDevice Device { get; }
    public GptTable Table { get; }
    public GptPartition BootControlPartition { get; }
    public GptPartition DataPartition { get; }
    public Slot SlotA { get; }
    public Slot SlotB { get; }
    public BootControlStore BootControl { get; }
    public string Name => BlockDevice.Describe(Device);

    public Slot this[SlotName s] => s == SlotName.A ? SlotA : SlotB;

    /// <summary>The data partition: persistent, read-write, untouched by updates.</summary>
    public IBlockDevice Data => new PartitionView(Device, DataPartition.Offset, DataPartition.Length, DataPartition.Name);

    /// <summary>
    /// Partitions a blank device and writes an empty boot control (both copies, no bootable slot).
    /// GUIDs come from <paramref name="guids"/> when given, so images are reproducible.
    /// </summary>
    public static AbDisk Create(IBlockDevice device, AbLayout layout, Func<Guid>? guids = null)
    {
        guids ??= Guid.NewGuid;
        if (device.SectorSize != layout.SectorSize)
            throw new ArgumentException($"{BlockDevice.Describe(device)}: sector size {device.SectorSize} differs from the layout's {layout.SectorSize}");
        if (device.Length < layout.DiskBytes)
            throw new ArgumentException($"{BlockDevice.Describe(device)}: {device.Length} bytes is smaller than the layout needs ({layout.DiskBytes})");
        var diskGuid = guids();
        Gpt.Write(device, diskGuid,
        [
            new GptPartitionSpec(BootControlType, BootControlName, AbLayout.BootControlBytes, guids()),
            new GptPartitionSpec(Gpt.LinuxRootArm64, SlotAName, layout.SlotPartitionBytes, guids()),
            new GptPartitionSpec(Gpt.LinuxRootArm64, SlotBName, layout.SlotPartitionBytes, guids()),
            new GptPartitionSpec(Gpt.LinuxFilesystem, DataName, layout.DataBytes, guids()),
        ]);
        var disk = Open(device);
        disk.BootControl.Initialize(BootControlRecord.Empty);
        return disk;
    }

    /// <summary>Opens a disk, checking the GPT and the A/B layout; a disk that is not ours gets a <see cref="NotOurDiskException"/> naming what is missing.</summary>
    public static AbDisk Open(IBlockDevice device)
    {
        GptTable table;
        try
        {
            table = Gpt.Read(device);
        }
        catch (GptException e)
        {
            throw new NotOurDiskException($"not a HilRig A/B disk: {e.Message}");
        }
        var name = BlockDevice.Describe(device);
        GptPartition Find(string partName, Guid type)
        {
            var p = table.Partitions.FirstOrDefault(x => x.Name == partName);
            if (p is null)
                throw new NotOurDiskException(
                    $"not a HilRig A/B disk: {name}: the GPT has no partition named '{partName}' (found: {string.Join(", ", table.Partitions.Select(x => $"{x.Number} '{x.Name}'"))})");
            if (p.Type != type)
                throw new NotOurDiskException($"not a HilRig A/B disk: {name}: partition {p.Number} '{partName}' has type {p.Type}, expected {type}");
            return p;
        }
        var bootctl = Find(BootControlName, BootControlType);
        var a = Find(SlotAName, Gpt.LinuxRootArm64);
        var b = Find(SlotBName, Gpt.LinuxRootArm64);
        var data = Find(DataName, Gpt.LinuxFilesystem);
        if (a.Length != b.Length)
            throw new NotOurDiskException($"not a HilRig A/B disk: {name}: slot partitions differ in size ({a.Name} {a.Length} bytes, {b.Name} {b.Length} bytes)");
        if (bootctl.Length < BootControlStore.CopyStride * 2)
            throw new NotOurDiskException($"not a HilRig A/B disk: {name}: partition '{bootctl.Name}' is {bootctl.Length} bytes, needs {BootControlStore.CopyStride * 2}");
        return new AbDisk(device, table, bootctl, a, b, data);
    }
}
