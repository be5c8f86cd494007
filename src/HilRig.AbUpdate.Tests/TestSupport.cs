using HilRig.AbUpdate;
using HilRig.Storage;

namespace HilRig.AbUpdate.Tests;

/// <summary>Wraps a device and records every write and trim, so a test can prove which ranges were (not) touched.</summary>
public sealed class RecordingDevice(IBlockDevice inner) : IBlockDevice
{
    public List<(long Offset, long Length, string Kind)> Writes { get; } = new();
    public List<string> Points { get; } = new();
    public IBlockDevice Inner => inner;
    public int SectorSize => inner.SectorSize;
    public long Length => inner.Length;
    public bool IsReadOnly => inner.IsReadOnly;
    public void Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

    public void Write(long offset, ReadOnlySpan<byte> data, WriteFlags flags = WriteFlags.None)
    {
        Writes.Add((offset, data.Length, (flags & WriteFlags.Fua) != 0 ? "fua" : "write"));
        inner.Write(offset, data, flags);
    }

    public void Flush() => inner.Flush();

    public void Trim(long offset, long length)
    {
        Writes.Add((offset, length, "trim"));
        inner.Trim(offset, length);
    }

    public void Reach(string point) => Points.Add(point);
    public void Dispose() { }

    public IEnumerable<(long Offset, long Length, string Kind)> WritesInto(long start, long length) =>
        Writes.Where(w => w.Offset < start + length && start < w.Offset + w.Length);
}

/// <summary>Disks and images for tests.</summary>
public static class TestDisks
{
    public const long MiB = 1 << 20;

    public static (MemoryBlockDevice Mem, RecordingDevice Rec, AbDisk Disk) Create(long slotCapacity = MiB, int sectorSize = 512)
    {
        var layout = AbLayout.ForSlot(slotCapacity, MiB, sectorSize);
        var mem = new MemoryBlockDevice(layout.DiskBytes, sectorSize, "test-disk");
        var n = 0;
        var disk = AbDisk.Create(mem, layout, () => new Guid(n++, 0x1234, 0x4567, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67));
        var rec = new RecordingDevice(mem);
        return (mem, rec, AbDisk.Open(rec));
    }

    public static byte[] Image(int seed, long size)
    {
        var b = new byte[size];
        new SeededRng((ulong)seed).Fill(b);
        return b;
    }

    /// <summary>Installs, boots and marks good: a disk that runs <paramref name="image"/>.</summary>
    public static SlotName InstallGood(AbDisk disk, SlotName? booted, byte[] image, string version)
    {
        var r = new AbUpdater(disk, booted).Install(new MemoryStream(image), new InstallRequest(version));
        var boot = Bootloader.Boot(disk, BootPolicy.FullCheck);
        if (boot.Slot != r.Target) throw new InvalidOperationException(boot.BootLine);
        new AbUpdater(disk, r.Target).MarkGood();
        return r.Target;
    }

    /// <summary>A disk with A = v0 (good) and B = v1 (good, primary), returned as booted on B.</summary>
    public static (MemoryBlockDevice Mem, RecordingDevice Rec, AbDisk Disk, byte[] V0, byte[] V1) Running(long slotCapacity = MiB, long imageSize = -1)
    {
        var (mem, rec, disk) = Create(slotCapacity);
        var size = imageSize < 0 ? slotCapacity : imageSize;
        var v0 = Image(100, size);
        var v1 = Image(101, size);
        InstallGood(disk, null, v0, "v0");
        InstallGood(disk, SlotName.A, v1, "v1");
        rec.Writes.Clear();
        rec.Points.Clear();
        return (mem, rec, disk, v0, v1);
    }

    public static byte[] SlotBytes(AbDisk disk, SlotName s, long size) => disk[s].Image.ReadBytes(0, (int)size);

    public static byte[] PartitionBytes(IBlockDevice mem, AbDisk disk, SlotName s) =>
        mem.ReadBytes(disk[s].Partition.Offset, (int)disk[s].Partition.Length);
}
