using System.Diagnostics;
using HilRig.Storage;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class GptTests
{
    private static (int Code, string Out) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string MakeImage(int sectorSize = 512)
    {
        var dir = RepoPaths.NewTempDirectory("gpt");
        var path = Path.Combine(dir, "disk.img");
        var layout = AbLayout.ForSlot(4 << 20, 2 << 20, sectorSize);
        using var f = FileBlockDevice.Create(path, layout.DiskBytes, sectorSize);
        var n = 0;
        AbDisk.Create(f, layout, () => new Guid($"{++n:x8}-1111-4222-8333-444455556666"));
        return path;
    }

    [Test]
    public void Sfdisk_reads_our_partition_table()
    {
        var sfdisk = RequiredTool.Require("sfdisk", "checks the GPT with util-linux");
        var img = MakeImage();
        var (code, dump) = Run(sfdisk, "-d", img);
        Assert.That(code, Is.Zero, dump);
        Assert.That(dump, Does.Contain("label: gpt"));
        Assert.That(dump, Does.Contain("label-id: 00000001-1111-4222-8333-444455556666"));
        Assert.That(dump, Does.Contain("first-lba: 34"));
        Assert.That(dump, Does.Contain("start=        2048, size=        2048, type=6B2F3D1A-5C4E-4E0B-9A7D-48494C524947, uuid=00000002-1111-4222-8333-444455556666, name=\"bootctl\""));
        Assert.That(dump, Does.Match("start=\\s+4096, size=\\s+\\d+, type=B921B045-1DF0-41C3-AF44-4C6F280D3FAE, .*name=\"rootfs_a\""));
        Assert.That(dump, Does.Contain("name=\"rootfs_b\""));
        Assert.That(dump, Does.Match("type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, .*name=\"data\""));

        var (vcode, verify) = Run(sfdisk, "--verify", img);
        Assert.That(vcode, Is.Zero, verify);
        Assert.That(verify, Does.Contain("No errors detected"), verify);
    }

    [Test]
    public void Blkid_sees_a_gpt_disk_with_our_uuid()
    {
        var blkid = RequiredTool.Require("blkid", "probes the partition table with util-linux");
        var img = MakeImage();
        var (code, output) = Run(blkid, "-p", "-o", "export", img);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("PTTYPE=gpt"));
        Assert.That(output, Does.Contain("PTUUID=00000001-1111-4222-8333-444455556666"));
    }

    [Test]
    public void Fdisk_reads_a_4k_sector_disk()
    {
        // sfdisk 2.38 has no --sector-size for image files; fdisk -b does.
        var fdisk = RequiredTool.Require("fdisk", "reads a 4Kn GPT with util-linux");
        var img = MakeImage(4096);
        var (code, dump) = Run(fdisk, "-l", "-b", "4096", img);
        Assert.That(code, Is.Zero, dump);
        Assert.That(dump, Does.Contain("Disklabel type: gpt"));
        Assert.That(dump, Does.Contain("Disk identifier: 00000001-1111-4222-8333-444455556666"));
        Assert.That(dump, Does.Match("img2\\s+512\\s+\\d+\\s+\\d+\\s+\\S+ Linux root \\(ARM-64\\)"));
        Assert.That(dump, Does.Match("img4\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\S+ Linux filesystem"));
        var t = Gpt.Read(FileBlockDevice.Open(img, true, 4096));
        Assert.That(t.Partitions.Select(p => p.Name), Is.EqualTo(new[] { "bootctl", "rootfs_a", "rootfs_b", "data" }));
    }

    [Test]
    public void Reads_back_what_it_writes_and_falls_back_to_the_backup_header()
    {
        var disk = new MemoryBlockDevice(16 << 20);
        var written = Gpt.Write(disk, Guid.NewGuid(), [new GptPartitionSpec(Gpt.LinuxFilesystem, "one", 1 << 20), new GptPartitionSpec(Gpt.LinuxFilesystem, "two", 2 << 20)]);
        var read = Gpt.Read(disk);
        Assert.That(read.DiskGuid, Is.EqualTo(written.DiskGuid));
        Assert.That(read.Partitions, Is.EqualTo(written.Partitions));
        Assert.That(read.UsedBackupHeader, Is.False);

        disk.Write(512, new byte[512]); // wipe the primary header
        var backup = Gpt.Read(disk);
        Assert.That(backup.UsedBackupHeader);
        Assert.That(backup.Partitions, Is.EqualTo(written.Partitions));
        Assert.That(backup.Warnings.Single(), Does.Contain("primary GPT header (LBA 1) is damaged").And.Contain("using the backup header at LBA 32767"));
    }

    [Test]
    public void A_damaged_table_is_reported_with_structure_lba_and_reason()
    {
        var disk = new MemoryBlockDevice(16 << 20);
        Gpt.Write(disk, Guid.NewGuid(), [new GptPartitionSpec(Gpt.LinuxFilesystem, "one", 1 << 20)]);
        var entries = disk.ReadBytes(1024, 512);
        entries[100] ^= 0xFF;
        disk.Write(1024, entries);                     // primary entry array CRC now wrong
        disk.Write((16 << 20) - 512, new byte[512]);   // backup header gone
        var e = Assert.Throws<GptException>(() => Gpt.Read(disk))!;
        Assert.That(e.Message, Does.Contain("primary header (LBA 1): partition entry array (LBA 2) CRC32"));
        Assert.That(e.Message, Does.Contain("backup header (LBA 32767): signature"));

        var blank = new MemoryBlockDevice(16 << 20);
        e = Assert.Throws<GptException>(() => Gpt.Read(blank))!;
        Assert.That(e.Message, Does.Contain("LBA 0 (byte 510) lacks the 55 AA boot signature"));
    }
}
