using HilRig.Storage;
using HilRig.Storage.PowerLoss;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class StorageTests
{
    private static byte[] Bytes(int n, byte fill) => Enumerable.Repeat(fill, n).ToArray();

    [TestCase(512)]
    [TestCase(4096)]
    public void Memory_device_reads_back_writes_and_forks_share_nothing_mutable(int ss)
    {
        var d = new MemoryBlockDevice(1 << 20, ss);
        d.Write(ss * 3, Bytes(ss * 2, 7));
        var fork = d.Fork();
        d.Write(ss * 3, Bytes(ss, 9));
        Assert.That(fork.ReadBytes(ss * 3, ss), Is.EqualTo(Bytes(ss, 7)), "the fork keeps the old content");
        Assert.That(d.ReadBytes(ss * 3, ss), Is.EqualTo(Bytes(ss, 9)));
        Assert.That(d.ReadBytes(ss * 4, ss), Is.EqualTo(Bytes(ss, 7)));
        Assert.That(d.ReadBytes(0, ss), Is.EqualTo(new byte[ss]), "never-written sectors read as zeros");
        d.Trim(ss * 3, ss);
        Assert.That(d.ReadBytes(ss * 3, ss), Is.EqualTo(new byte[ss]), "trimmed sectors read as zeros");
        Assert.That(d.ReadBytes(ss * 4, ss), Is.EqualTo(Bytes(ss, 7)));
    }

    [Test]
    public void Unaligned_and_out_of_range_writes_are_refused_with_the_offset()
    {
        var d = new MemoryBlockDevice(1 << 20, 512);
        var e = Assert.Throws<BlockDeviceException>(() => d.Write(100, new byte[512]))!;
        Assert.That(e.Message, Does.Contain("offset 100").And.Contain("512-byte sector"));
        e = Assert.Throws<BlockDeviceException>(() => d.Write((1 << 20) - 512, new byte[1024]))!;
        Assert.That(e.Message, Does.Contain("outside the device"));
        var ro = new PartitionView(d, 0, 4096, "ro", readOnly: true);
        e = Assert.Throws<BlockDeviceException>(() => ro.Write(0, new byte[512]))!;
        Assert.That(e.Message, Does.Contain("read-only"));
    }

    [Test]
    public void File_device_round_trips_flushes_writes_through_and_trims()
    {
        var dir = RepoPaths.NewTempDirectory("filedev");
        var path = Path.Combine(dir, "disk.img");
        using (var f = FileBlockDevice.Create(path, 1 << 20))
        {
            f.Write(4096, Bytes(8192, 0xAB));
            f.Write(0, Bytes(512, 0xCD), WriteFlags.Fua);
            f.Flush();
            f.Trim(8192, 4096);
            Assert.That(f.ReadBytes(4096, 4096), Is.EqualTo(Bytes(4096, 0xAB)));
            Assert.That(f.ReadBytes(8192, 4096), Is.EqualTo(new byte[4096]));
        }
        using (var f = FileBlockDevice.Open(path, readOnly: true))
        {
            Assert.That(f.Length, Is.EqualTo(1 << 20));
            Assert.That(f.ReadBytes(0, 512), Is.EqualTo(Bytes(512, 0xCD)));
            Assert.Throws<BlockDeviceException>(() => f.Write(0, new byte[512]));
        }
    }

    [Test]
    public void Write_back_cache_holds_writes_until_flush_and_fua_goes_through()
    {
        var media = new MemoryBlockDevice(1 << 20);
        var cache = new WriteBackCache(media);
        cache.Write(0, Bytes(1024, 1));
        Assert.That(cache.ReadBytes(0, 1024), Is.EqualTo(Bytes(1024, 1)), "read-your-writes");
        Assert.That(media.ReadBytes(0, 1024), Is.EqualTo(new byte[1024]), "not on the media before a flush");
        Assert.That(cache.DirtyBytes, Is.EqualTo(1024));

        cache.Write(512, Bytes(512, 2), WriteFlags.Fua);
        Assert.That(media.ReadBytes(512, 512), Is.EqualTo(Bytes(512, 2)), "FUA is on the media at once");
        Assert.That(media.ReadBytes(0, 512), Is.EqualTo(new byte[512]), "FUA does not flush other cached writes");
        Assert.That(cache.ReadBytes(512, 512), Is.EqualTo(Bytes(512, 2)), "FUA supersedes the cached sector");

        cache.Flush();
        Assert.That(media.ReadBytes(0, 1024), Is.EqualTo(Bytes(512, 1).Concat(Bytes(512, 2))));
        Assert.That(cache.DirtyBytes, Is.Zero);

        cache.Write(4096, Bytes(512, 3));
        cache.Discard();
        Assert.That(cache.ReadBytes(4096, 512), Is.EqualTo(new byte[512]), "a discarded (power-cut) cache loses unflushed writes");
    }

    [Test]
    public void Power_cut_at_op_n_loses_unflushed_writes_keeps_flushed_ones_and_stops_the_device()
    {
        var media = new MemoryBlockDevice(1 << 20);
        var dev = new PowerLossDevice(media, 4096, new CutPlan(new OpCut(3), 7));
        dev.Write(0, Bytes(4096, 1));          // op 0
        dev.Flush();                            // op 1
        dev.Write(4096, Bytes(4096, 2));       // op 2, cached only
        var e = Assert.Throws<PowerCutException>(() => dev.Write(8192, Bytes(4096, 3)))!; // op 3: cut
        Assert.That(e.Op, Is.EqualTo(3));
        Assert.That(e.Message, Does.Contain("op 3").And.Contain("offset 8192"));
        Assert.That(dev.IsPoweredOff);
        Assert.Throws<PowerCutException>(() => dev.Read(0, new byte[512]), "a dead device answers nothing");
        Assert.That(media.ReadBytes(0, 4096), Is.EqualTo(Bytes(4096, 1)), "flushed data survives");
        Assert.That(media.ReadBytes(4096, 4096), Is.EqualTo(new byte[4096]), "unflushed data is lost");
        Assert.That(media.ReadBytes(8192, 4096), Is.EqualTo(new byte[4096]), "a plain write in flight only reached the cache");
    }

    [Test]
    public void A_fua_write_in_flight_is_torn_at_sector_granularity_the_same_way_for_the_same_seed()
    {
        var shapes = new HashSet<string>();
        for (ulong seed = 0; seed < 64; seed++)
        {
            string Run()
            {
                var media = new MemoryBlockDevice(1 << 20);
                var dev = new PowerLossDevice(media, 1 << 16, new CutPlan(new OpCut(0), seed));
                Assert.Throws<PowerCutException>(() => dev.Write(0, Bytes(4096, 0xEE), WriteFlags.Fua));
                var got = media.ReadBytes(0, 4096);
                return string.Concat(Enumerable.Range(0, 8).Select(s => got[s * 512] == 0xEE ? '1' : '0'));
            }
            var first = Run();
            Assert.That(Run(), Is.EqualTo(first), $"seed {seed} replays the same tear");
            shapes.Add(first);
        }
        Assert.That(shapes, Does.Contain("00000000").And.Contain("11111111"), "none and all happen");
        Assert.That(shapes.Count, Is.GreaterThan(6), "prefixes and random subsets happen too");
    }

    [Test]
    public void Named_cut_fires_on_the_first_operation_after_the_nth_arrival()
    {
        var media = new MemoryBlockDevice(1 << 20);
        var dev = new PowerLossDevice(media, 4096, new CutPlan(new NamedCut("commit", 2), 1));
        dev.Reach("commit");
        dev.Write(0, Bytes(512, 1), WriteFlags.Fua);
        dev.Reach("commit");
        var e = Assert.Throws<PowerCutException>(() => dev.Write(512, Bytes(512, 2), WriteFlags.Fua))!;
        Assert.That(e.Message, Does.Contain("after commit#2"));
        Assert.That(CutPoint.Parse("@commit#2"), Is.EqualTo(new NamedCut("commit", 2)));
        Assert.That(CutPoint.Parse("w17"), Is.EqualTo(new OpCut(17)));
        Assert.Throws<FormatException>(() => CutPoint.Parse("x17"));
    }

    [TestCase(CutPolicy.LoseUnflushed)]
    [TestCase(CutPolicy.ScrambleUnflushed)]
    public void A_forked_cut_leaves_exactly_the_disk_a_real_cut_leaves(CutPolicy policy)
    {
        void Workload(PowerLossDevice d)
        {
            for (var i = 0; i < 6; i++)
            {
                d.Write(i * 8192L, Bytes(8192, (byte)(i + 1)));
                if (i % 2 == 1) d.Flush();
                d.Write(1 << 19, Bytes(1024, (byte)(0x80 + i)), WriteFlags.Fua);
            }
            d.Trim(0, 4096);
            d.Flush();
        }

        var forks = new Dictionary<long, byte[]>();
        var observer = new PowerLossDevice(new MemoryBlockDevice(1 << 20), 4096)
        {
            BeforeOp = (PowerLossDevice d, in InFlightOp op) => forks[op.Index] = d.ForkCut(op, 99, policy).ReadBytes(0, 1 << 20),
        };
        Workload(observer);
        Assert.That(forks, Has.Count.EqualTo(observer.OpCount));
        foreach (var (op, expected) in forks)
        {
            var media = new MemoryBlockDevice(1 << 20);
            var real = new PowerLossDevice(media, 4096, new CutPlan(new OpCut(op), 99, policy));
            Assert.Throws<PowerCutException>(() => Workload(real));
            Assert.That(media.ReadBytes(0, 1 << 20), Is.EqualTo(expected), $"cut at op {op}");
        }
    }

    [Test]
    public void Large_writes_are_split_into_requests_each_a_cut_point()
    {
        var dev = new PowerLossDevice(new MemoryBlockDevice(1 << 20), 4096);
        var seen = new List<long>();
        dev.BeforeOp = (PowerLossDevice _, in InFlightOp op) => seen.Add(op.Length);
        dev.Write(0, new byte[65536]);
        dev.Flush();
        Assert.That(seen, Is.EqualTo(Enumerable.Repeat(4096L, 16).Append(0)));
    }

    [Test]
    public void Volatile_overlay_takes_writes_and_never_touches_the_lower_device()
    {
        var lower = new MemoryBlockDevice(1 << 16);
        lower.Write(0, Bytes(4096, 5));
        var ro = new PartitionView(lower, 0, 1 << 16, "root", readOnly: true);
        var overlay = new VolatileOverlay(ro);
        overlay.Write(512, Bytes(512, 6));
        Assert.That(overlay.ReadBytes(0, 1024), Is.EqualTo(Bytes(512, 5).Concat(Bytes(512, 6))));
        Assert.That(lower.ReadBytes(512, 512), Is.EqualTo(Bytes(512, 5)));
        overlay.Discard();
        Assert.That(overlay.ReadBytes(512, 512), Is.EqualTo(Bytes(512, 5)));
    }

    [Test]
    public void Crc32_matches_the_standard_check_value()
    {
        Assert.That(Crc32.Compute("123456789"u8), Is.EqualTo(0xCBF43926u));
        Assert.That(Crc32.Append(Crc32.Compute("1234"u8), "56789"u8), Is.EqualTo(0xCBF43926u));
    }

    [Test]
    public void Seeded_guids_are_version_4_and_the_same_for_the_same_seed()
    {
        var a = SeededRng.GuidSource(1);
        var first = a();
        // The disk GUID `hilrig disk create --seed 1` has always printed: seeded images stay byte-identical.
        Assert.That(first, Is.EqualTo(new Guid("5252a957-54cd-4ed5-bd34-320e4eb1ac86")));
        var rest = Enumerable.Range(0, 4).Select(_ => a()).ToList();
        Assert.That(rest, Is.Unique.And.Not.Contains(first), "each call draws a new GUID");
        Assert.That(rest.Prepend(first).Select(g => g.Version), Is.All.EqualTo(4));
        Assert.That(rest.Prepend(first).Select(g => g.Variant), Is.All.InRange(0x8, 0xB), "the RFC 9562 variant (10xx)");
        var b = SeededRng.GuidSource(1);
        Assert.That(Enumerable.Range(0, 5).Select(_ => b()), Is.EqualTo(rest.Prepend(first)));
        Assert.That(SeededRng.GuidSource(2)(), Is.Not.EqualTo(first));
    }

    [TestCase("16MiB", 16L << 20)]
    [TestCase("512KiB", 512L << 10)]
    [TestCase("2G", 2L << 30)]
    [TestCase("4096", 4096L)]
    public void Sizes_parse(string text, long bytes) => Assert.That(BlockDevice.ParseSize(text), Is.EqualTo(bytes));

    /// <summary>A size means the same on the command line (--size, replay ids) as in a rig file.</summary>
    [TestCase("4096")]
    [TestCase("16MiB")]
    [TestCase("512KiB")]
    [TestCase("256M")]
    [TestCase("2G")]
    [TestCase("1.5GiB")]
    [TestCase("0.5K")]
    [TestCase("1.3M")]
    [TestCase("16 MiB")]
    [TestCase(" 16MiB ")]
    [TestCase("16mib")]
    [TestCase("16MB")]
    [TestCase("16Mb")]
    [TestCase("16B")]
    [TestCase("0")]
    [TestCase("16Mi")]
    [TestCase("16Q")]
    [TestCase("16KiBB")]
    [TestCase("16 M iB")]
    [TestCase("")]
    [TestCase("MiB")]
    [TestCase("-1")]
    [TestCase("+16")]
    [TestCase("1.")]
    [TestCase(".5K")]
    [TestCase("1,5G")]
    [TestCase("1e3")]
    [TestCase("0x10")]
    public void Sizes_parse_as_the_rig_file_parses_them(string text)
    {
        var rig = HilRig.Rig.Model.SizeParser.TryParse(text, out var rigBytes);
        long? bytes = null;
        string? error = null;
        try
        {
            bytes = BlockDevice.ParseSize(text);
        }
        catch (FormatException e)
        {
            error = e.Message;
        }
        if (rig) Assert.That(bytes, Is.EqualTo(rigBytes), $"'{text}': the rig file reads {rigBytes} bytes");
        else
        {
            Assert.That(bytes, Is.Null, $"'{text}': the rig file refuses it");
            Assert.That(error, Is.EqualTo(Assert.Throws<FormatException>(() => HilRig.Rig.Model.SizeParser.Parse(text))!.Message), "the same wording");
        }
    }

    [Test]
    public void A_size_too_large_for_a_disk_is_refused_not_overflowed() =>
        Assert.That(Assert.Throws<FormatException>(() => BlockDevice.ParseSize("9999999999G"))!.Message,
            Is.EqualTo("'9999999999G' is not a size (write e.g. 4096, 512KiB, 16MiB, 1G)"));
}
