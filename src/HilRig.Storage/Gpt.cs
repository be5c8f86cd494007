using System.Buffers.Binary;
using System.Text;

namespace HilRig.Storage;

/// <summary>A partition to create: its type, name and size (in bytes, a multiple of 1 MiB is usual).</summary>
public sealed record GptPartitionSpec(Guid Type, string Name, long SizeBytes, Guid? UniqueId = null);

/// <summary>One partition entry as read from disk; offsets in bytes are derived from the LBAs and the sector size.</summary>
public sealed record GptPartition(int Number, Guid Type, Guid UniqueId, long FirstLba, long LastLba, ulong Attributes, string Name, int SectorSize)
{
    public long Offset => FirstLba * SectorSize;
    public long Length => (LastLba - FirstLba + 1) * SectorSize;
}

/// <summary>A parsed GUID partition table.</summary>
public sealed record GptTable(Guid DiskGuid, int SectorSize, long FirstUsableLba, long LastUsableLba, IReadOnlyList<GptPartition> Partitions,
    bool UsedBackupHeader, IReadOnlyList<string> Warnings);

/// <summary>A disk without a valid GPT, or with a damaged one; the message says which structure, where, and why.</summary>
public sealed class GptException(string message) : IOException(message);

/// <summary>
/// GUID partition table (UEFI 2.x §5.3): protective MBR, primary header at LBA 1, 128 entries of 128 bytes, backup entries
/// and header at the end of the disk, CRC32 over header and entry array. Linux reads what this writes (sfdisk, blkid).
/// </summary>
public static class Gpt
{
    public const int EntryCount = 128;
    public const int EntrySize = 128;
    private const int HeaderSize = 92;
    private static readonly byte[] Signature = "EFI PART"u8.ToArray();

    /// <summary>Linux filesystem data.</summary>
    public static readonly Guid LinuxFilesystem = new("0FC63DAF-8483-4772-8E79-3D69D8477DE4");
    /// <summary>Linux root (ARM-64), the discoverable-partitions type for an arm64 root filesystem.</summary>
    public static readonly Guid LinuxRootArm64 = new("B921B045-1DF0-41C3-AF44-4C6F280D3FAE");

    private static int EntryArraySectors(int sectorSize) => EntryCount * EntrySize / sectorSize;

    /// <summary>First LBA at which partitions may start, given the sector size.</summary>
    public static long FirstUsableLba(int sectorSize) => 2 + EntryArraySectors(sectorSize);

    /// <summary>
    /// Writes a fresh GPT with the partitions laid out back to back from 1 MiB, each 1 MiB-aligned; fails if they do not fit.
    /// Writes the backup first and the primary last, then flushes.
    /// </summary>
    public static GptTable Write(IBlockDevice device, Guid diskGuid, IReadOnlyList<GptPartitionSpec> specs)
    {
        var ss = device.SectorSize;
        var totalSectors = device.Length / ss;
        var lastLba = totalSectors - 1;
        var entrySectors = EntryArraySectors(ss);
        var firstUsable = 2L + entrySectors;
        var lastUsable = lastLba - 1 - entrySectors;
        if (specs.Count > EntryCount) throw new ArgumentException($"{specs.Count} partitions do not fit {EntryCount} entries");

        var entries = new byte[EntryCount * EntrySize];
        var parts = new List<GptPartition>();
        var align = (1L << 20) / ss;
        var lba = BlockDevice.AlignUp(firstUsable, align);
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            if (spec.SizeBytes <= 0 || spec.SizeBytes % ss != 0)
                throw new ArgumentException($"partition '{spec.Name}': size {spec.SizeBytes} is not a positive multiple of {ss}");
            if (Encoding.Unicode.GetByteCount(spec.Name) > 72) throw new ArgumentException($"partition name '{spec.Name}' is longer than 36 UTF-16 units");
            var first = lba;
            var last = first + spec.SizeBytes / ss - 1;
            if (last > lastUsable)
                throw new ArgumentException(
                    $"{BlockDevice.Describe(device)}: partition '{spec.Name}' ({spec.SizeBytes} bytes at LBA {first}) ends at LBA {last}, past the last usable LBA {lastUsable}");
            var part = new GptPartition(i + 1, spec.Type, spec.UniqueId ?? Guid.NewGuid(), first, last, 0, spec.Name, ss);
            parts.Add(part);
            WriteEntry(entries.AsSpan(i * EntrySize, EntrySize), part);
            lba = BlockDevice.AlignUp(last + 1, align);
        }
        var entriesCrc = Crc32.Compute(entries);

        var backupEntriesLba = lastLba - entrySectors;
        device.Write(backupEntriesLba * ss, entries);
        device.Write(lastLba * ss, BuildHeader(ss, lastLba, 1, firstUsable, lastUsable, diskGuid, backupEntriesLba, entriesCrc));
        device.Write(2L * ss, entries);
        device.Write(1L * ss, BuildHeader(ss, 1, lastLba, firstUsable, lastUsable, diskGuid, 2, entriesCrc));
        device.Write(0, BuildProtectiveMbr(ss, totalSectors));
        device.Flush();
        return new GptTable(diskGuid, ss, firstUsable, lastUsable, parts, false, []);
    }

    private static void WriteEntry(Span<byte> e, GptPartition p)
    {
        p.Type.TryWriteBytes(e[..16]);
        p.UniqueId.TryWriteBytes(e[16..32]);
        BinaryPrimitives.WriteInt64LittleEndian(e[32..], p.FirstLba);
        BinaryPrimitives.WriteInt64LittleEndian(e[40..], p.LastLba);
        BinaryPrimitives.WriteUInt64LittleEndian(e[48..], p.Attributes);
        Encoding.Unicode.GetBytes(p.Name, e[56..128]);
    }

    private static byte[] BuildHeader(int ss, long myLba, long altLba, long firstUsable, long lastUsable, Guid diskGuid, long entriesLba, uint entriesCrc)
    {
        var h = new byte[ss];
        Signature.CopyTo(h, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(8), 0x00010000);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(12), HeaderSize);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(24), myLba);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(32), altLba);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(40), firstUsable);
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(48), lastUsable);
        diskGuid.TryWriteBytes(h.AsSpan(56, 16));
        BinaryPrimitives.WriteInt64LittleEndian(h.AsSpan(72), entriesLba);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(80), EntryCount);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(84), EntrySize);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(88), entriesCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), Crc32.Compute(h.AsSpan(0, HeaderSize)));
        return h;
    }

    private static byte[] BuildProtectiveMbr(int ss, long totalSectors)
    {
        var m = new byte[ss];
        var e = m.AsSpan(446, 16);
        e[0] = 0x00;
        e[1] = 0x00; e[2] = 0x02; e[3] = 0x00;
        e[4] = 0xEE;
        e[5] = 0xFF; e[6] = 0xFF; e[7] = 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(e[8..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(e[12..], (uint)Math.Min(totalSectors - 1, uint.MaxValue));
        m[510] = 0x55;
        m[511] = 0xAA;
        return m;
    }

    /// <summary>
    /// Reads and checks the GPT: protective MBR, primary header and entries (CRC32s), falling back to the backup header when
    /// the primary is damaged (reported in <see cref="GptTable.Warnings"/>). Throws <see cref="GptException"/> naming the
    /// structure, its LBA and what is wrong when neither copy is usable.
    /// </summary>
    public static GptTable Read(IBlockDevice device)
    {
        var ss = device.SectorSize;
        var name = BlockDevice.Describe(device);
        if (device.Length < ss * (FirstUsableLba(ss) * 2 + 1))
            throw new GptException($"{name}: {device.Length} bytes is too small to hold a GPT");
        var lastLba = device.Length / ss - 1;
        var warnings = new List<string>();

        var mbr = device.ReadBytes(0, ss);
        if (mbr[510] != 0x55 || mbr[511] != 0xAA)
            throw new GptException($"{name}: no partition table: LBA 0 (byte 510) lacks the 55 AA boot signature (found {mbr[510]:X2} {mbr[511]:X2})");
        if (!Enumerable.Range(0, 4).Any(i => mbr[446 + i * 16 + 4] == 0xEE))
            warnings.Add($"{name}: LBA 0 has no protective MBR entry (type EE); an MBR-partitioned disk or a hybrid MBR");

        var primary = TryReadHeader(device, 1, lastLba, out var primaryError);
        if (primary is not null) return primary with { Warnings = warnings };
        var backup = TryReadHeader(device, lastLba, lastLba, out var backupError);
        if (backup is null)
            throw new GptException($"{name}: no valid GPT: primary header (LBA 1): {primaryError}; backup header (LBA {lastLba}): {backupError}");
        warnings.Add($"{name}: primary GPT header (LBA 1) is damaged ({primaryError}); using the backup header at LBA {lastLba}");
        return backup with { UsedBackupHeader = true, Warnings = warnings };
    }

    private static GptTable? TryReadHeader(IBlockDevice device, long lba, long lastLba, out string error)
    {
        var ss = device.SectorSize;
        var h = device.ReadBytes(lba * ss, ss);
        error = "";
        if (!h.AsSpan(0, 8).SequenceEqual(Signature))
        {
            error = $"signature is '{Printable(h.AsSpan(0, 8))}', not 'EFI PART'";
            return null;
        }
        var headerSize = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(12));
        if (headerSize < HeaderSize || headerSize > ss)
        {
            error = $"header size {headerSize} (byte 12) is outside {HeaderSize}..{ss}";
            return null;
        }
        var storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(16));
        var copy = (byte[])h.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(16), 0);
        var crc = Crc32.Compute(copy.AsSpan(0, (int)headerSize));
        if (crc != storedCrc)
        {
            error = $"header CRC32 (byte 16) is {storedCrc:x8}, computed {crc:x8}";
            return null;
        }
        var myLba = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(24));
        if (myLba != lba)
        {
            error = $"MyLBA (byte 24) is {myLba}, expected {lba}";
            return null;
        }
        var firstUsable = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(40));
        var lastUsable = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(48));
        var diskGuid = new Guid(h.AsSpan(56, 16));
        var entriesLba = BinaryPrimitives.ReadInt64LittleEndian(h.AsSpan(72));
        var count = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(80));
        var size = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(84));
        var entriesCrc = BinaryPrimitives.ReadUInt32LittleEndian(h.AsSpan(88));
        if (size < 128 || size % 8 != 0 || count == 0 || count > 4096 || (long)count * size % ss != 0)
        {
            error = $"entry geometry {count} × {size} bytes (bytes 80..87) is not supported";
            return null;
        }
        var arrayBytes = (int)(count * size);
        if (entriesLba < 2 || entriesLba * ss + arrayBytes > device.Length || lastUsable > lastLba || firstUsable > lastUsable)
        {
            error = $"entry array at LBA {entriesLba} or usable range {firstUsable}..{lastUsable} lies outside the disk";
            return null;
        }
        var entries = device.ReadBytes(entriesLba * ss, arrayBytes);
        var actualCrc = Crc32.Compute(entries);
        if (actualCrc != entriesCrc)
        {
            error = $"partition entry array (LBA {entriesLba}) CRC32 is {actualCrc:x8}, header says {entriesCrc:x8}";
            return null;
        }
        var parts = new List<GptPartition>();
        for (var i = 0; i < count; i++)
        {
            var e = entries.AsSpan(i * (int)size, (int)size);
            var type = new Guid(e[..16]);
            if (type == Guid.Empty) continue;
            var first = BinaryPrimitives.ReadInt64LittleEndian(e[32..]);
            var last = BinaryPrimitives.ReadInt64LittleEndian(e[40..]);
            var partName = Encoding.Unicode.GetString(e[56..128]).TrimEnd('\0');
            if (first < firstUsable || last > lastUsable || last < first)
            {
                error = $"entry {i + 1} ('{partName}') spans LBA {first}..{last}, outside the usable range {firstUsable}..{lastUsable}";
                return null;
            }
            parts.Add(new GptPartition(i + 1, type, new Guid(e[16..32]), first, last, BinaryPrimitives.ReadUInt64LittleEndian(e[48..]), partName, ss));
        }
        return new GptTable(diskGuid, ss, firstUsable, lastUsable, parts, false, []);
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes) sb.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        return sb.ToString();
    }
}
