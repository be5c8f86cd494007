using System.Text.Json;
using System.Text.Json.Nodes;
using HilRig.Storage;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

public class BootControlTests
{
    private static readonly Digest H1 = Digest.Sha256("release-1"u8);
    private static readonly Digest H2 = Digest.Sha256("release-2"u8);
    private static SlotInfo Good(Digest h, string v) => new(SlotState.Good, 0, BadReason.None, 4096, h, Digest.Sha256(h.ToArray()), v, 1, -1);
    private static SlotInfo Pending(Digest h, string v, byte tries) => Good(h, v) with { State = SlotState.Pending, TriesLeft = tries };

    [Test]
    public void Record_round_trips_and_every_flipped_byte_is_caught()
    {
        var rec = new BootControlRecord(42, SlotName.B, Good(H1, "1.0"), Pending(H2, "2.0-ü", 2));
        var bytes = rec.Serialize();
        Assert.That(bytes, Has.Length.EqualTo(1024));
        Assert.That(BootControlRecord.TryParse(bytes, out _), Is.EqualTo(rec));
        for (var i = 0; i < bytes.Length; i += 7)
        {
            var bad = (byte[])bytes.Clone();
            bad[i] ^= 0x5A;
            Assert.That(BootControlRecord.TryParse(bad, out var err), Is.Null, $"byte {i}");
            Assert.That(err, Does.Contain("byte"), "the error says where");
        }
    }

    [Test]
    public void One_corrupted_copy_loses_to_the_other_and_the_next_boot_repairs_it()
    {
        var (mem, rec, disk) = TestDisks.Create();
        var store = disk.BootControl;
        var s = store.Load();
        s = store.CommitAndReload(s, new BootControlRecord(0, SlotName.A, Good(H1, "1"), SlotInfo.Empty));
        Assert.That(s.NewestCopy, Is.EqualTo(0), "generation 2 went to copy 0 (copy 1 held generation 1)");

        // Corrupt the newest copy: the older one wins, and says so.
        var part = disk.BootControlPartition.Offset;
        var copy0 = mem.ReadBytes(part, 512);
        copy0[100] ^= 1;
        mem.Write(part, copy0);
        var loaded = store.Load();
        Assert.That(loaded.NewestCopy, Is.EqualTo(1));
        Assert.That(loaded.CopyErrors[0], Does.Contain("CRC32 mismatch at byte 1020"));
        Assert.That(loaded.NeedsRepair);

        var boot = Bootloader.Boot(disk, BootPolicy.NoCheck);
        Assert.That(boot.Booted, Is.False, "copy 1 is the empty record of a fresh disk");
        Assert.That(boot.Log, Has.Some.Contains("copy 0 (offset 0) invalid: CRC32 mismatch"));
        var after = store.Load();
        Assert.That(after.NeedsRepair, Is.False, "the boot rewrote the invalid copy");
    }

    [Test]
    public void Both_copies_corrupted_means_a_clear_error_no_boot_and_no_write()
    {
        var (mem, _, disk) = TestDisks.Create();
        var part = disk.BootControlPartition.Offset;
        mem.Write(part, new byte[512]);
        var c1 = mem.ReadBytes(part + 4096, 1024);
        c1[600] ^= 0xFF;
        mem.Write(part + 4096, c1);
        var rec = new RecordingDevice(mem);
        var d2 = AbDisk.Open(rec);

        var e = Assert.Throws<BootControlCorruptException>(() => d2.BootControl.Load())!;
        Assert.That(e.Message, Does.Contain("copy 0 (offset 0): bad magic 00000000 at byte 0"));
        Assert.That(e.Message, Does.Contain("copy 1 (offset 4096): CRC32 mismatch"));
        Assert.That(e.Message, Does.Contain("refusing to boot or write"));

        var boot = Bootloader.Boot(d2, BootPolicy.Default);
        Assert.That(boot.Booted, Is.False);
        Assert.That(boot.BootLine, Does.Contain("boot control unreadable"));
        Assert.Throws<BootControlCorruptException>(() => new AbUpdater(d2).Install(new MemoryStream(new byte[8192])));
        Assert.That(rec.Writes, Is.Empty, "nothing was written");
    }

    [Test]
    public void A_torn_commit_leaves_the_previous_record_in_force()
    {
        var (mem, _, disk) = TestDisks.Create();
        var s = disk.BootControl.CommitAndReload(disk.BootControl.Load(), new BootControlRecord(0, SlotName.A, Good(H1, "1"), SlotInfo.Empty));
        var before = s.Record;
        var next = before with { Primary = SlotName.B, B = Pending(H2, "2", 3) };
        var target = 1 - s.NewestCopy;
        // Only the first of the two sectors of the new record reaches the disk.
        var bytes = (next with { Generation = before.Generation + 1 }).Serialize();
        mem.Write(disk.BootControlPartition.Offset + target * 4096L, bytes.AsSpan(0, 512));
        var loaded = disk.BootControl.Load();
        Assert.That(loaded.Record, Is.EqualTo(before));
        Assert.That(loaded.CopyErrors[target], Does.Contain("CRC32 mismatch"));
    }

    // ---- boot selection test vectors (fixtures/ab/bootsel-vectors.json) ----

    private static IEnumerable<(string Name, byte[] Copy0, byte[] Copy1)> VectorInputs()
    {
        byte[] R(ulong gen, SlotName? primary, SlotInfo a, SlotInfo b) => new BootControlRecord(gen, primary, a, b).Serialize();
        byte[] Corrupt(byte[] r, int at) { var c = (byte[])r.Clone(); c[at] ^= 0x01; return c; }
        var ga = Good(H1, "1.0");
        var gb = Good(H2, "2.0");
        var empty = SlotInfo.Empty;
        var fresh = R(0, null, empty, empty);
        yield return ("fresh disk: nothing bootable", fresh, R(1, null, empty, empty));
        yield return ("primary A good", R(5, SlotName.A, ga, empty), R(4, null, empty, empty));
        yield return ("primary B pending, 3 tries: use one", R(7, SlotName.B, ga, Pending(H2, "2.0", 3)), R(6, SlotName.A, ga, empty.MarkBad(BadReason.Installing)));
        yield return ("primary B pending, last try", R(9, SlotName.B, ga, Pending(H2, "2.0", 1)), R(8, SlotName.B, ga, Pending(H2, "2.0", 2)));
        yield return ("primary B pending, no tries: fall back to A", R(10, SlotName.B, ga, Pending(H2, "2.0", 0)), R(9, SlotName.B, ga, Pending(H2, "2.0", 1)));
        yield return ("primary B pending, no tries, A bad: nothing bootable", R(10, SlotName.B, ga.MarkBad(BadReason.Tampered, 3), Pending(H2, "2.0", 0)), fresh);
        yield return ("primary A tampered, B good: fall back", R(12, SlotName.A, ga.MarkBad(BadReason.Tampered, 17), gb), R(11, SlotName.A, ga, gb));
        yield return ("no primary, B good", R(3, null, empty, gb), R(2, null, empty, empty));
        yield return ("primary B good, A pending (ignored)", R(3, SlotName.B, Pending(H1, "1.0", 3), gb), fresh);
        yield return ("newer copy 0 has a bad CRC: copy 1 wins, copy 0 repaired", Corrupt(R(21, SlotName.B, ga, gb), 300), R(20, SlotName.A, ga, gb));
        yield return ("copy 1 has a bad magic: copy 0 wins, copy 1 repaired", R(30, SlotName.A, ga, gb), Corrupt(R(31, SlotName.B, ga, gb), 0));
        yield return ("copy 1 torn (new first sector, old second): copy 0 wins", R(40, SlotName.A, ga, Pending(H2, "2.0", 3)),
            R(41, SlotName.B, ga, Pending(H2, "2.0", 2))[..512].Concat(R(39, SlotName.A, ga, empty)[512..]).ToArray());
        yield return ("equal generations: copy 0 wins", R(50, SlotName.A, ga, gb), R(50, SlotName.B, ga, gb));
        yield return ("both copies corrupt: no boot, no write", Corrupt(R(60, SlotName.A, ga, gb), 1), Corrupt(R(61, SlotName.A, ga, gb), 700));
        yield return ("pending with tries but other slot bad", R(70, SlotName.A, Pending(H1, "1.0", 2), gb.MarkBad(BadReason.TriesExhausted)), fresh);
    }

    private static JsonObject RunVector(string name, byte[] copy0, byte[] copy1)
    {
        var (mem, _, _) = TestDisks.Create(64 * 1024);
        var disk = AbDisk.Open(mem);
        var part = disk.BootControlPartition.Offset;
        mem.Write(part, copy0);
        mem.Write(part + 4096, copy1);
        var rec = new RecordingDevice(mem);
        var boot = Bootloader.Boot(AbDisk.Open(rec), BootPolicy.NoCheck);
        var writes = rec.Writes.Where(w => w.Offset >= part && w.Offset < part + 8192).ToList();
        Assert.That(writes.Count, Is.LessThanOrEqualTo(1), name);
        JsonNode? written = null;
        if (writes.Count == 1)
        {
            var copy = (int)((writes[0].Offset - part) / 4096);
            written = new JsonObject { ["copy"] = copy, ["record"] = Convert.ToHexStringLower(mem.ReadBytes(part + copy * 4096L, 1024)) };
        }
        return new JsonObject
        {
            ["name"] = name,
            ["copy0"] = Convert.ToHexStringLower(copy0),
            ["copy1"] = Convert.ToHexStringLower(copy1),
            ["boot"] = boot.Slot?.ToString(),
            ["write"] = written,
        };
    }

    [Test]
    public void Boot_selection_matches_the_shared_test_vectors()
    {
        var computed = new JsonArray(VectorInputs().Select(v => (JsonNode)RunVector(v.Name, v.Copy0, v.Copy1)).ToArray());
        var path = RepoPaths.Fixtures("ab", "bootsel-vectors.json");
        var text = computed.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("HILRIG_REGEN_VECTORS") == "1") File.WriteAllText(path, text);
        var stored = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        Assert.That(stored.Count, Is.EqualTo(computed.Count), "vector count (regenerate with HILRIG_REGEN_VECTORS=1 after a deliberate change)");
        for (var i = 0; i < computed.Count; i++)
            Assert.That(JsonNode.DeepEquals(stored[i], computed[i]), Is.True, $"vector {i} '{computed[i]!["name"]}' differs from the fixture");
    }

    [Test]
    public void Vector_expectations_read_as_the_rules_say()
    {
        var byName = VectorInputs().ToDictionary(v => v.Name, v => RunVector(v.Name, v.Copy0, v.Copy1));
        string? Boot(string n) => (string?)byName[n]["boot"];
        BootControlRecord Written(string n) => BootControlRecord.TryParse(Convert.FromHexString((string)byName[n]["write"]!["record"]!), out _)!;
        Assert.That(Boot("fresh disk: nothing bootable"), Is.Null);
        Assert.That(byName["fresh disk: nothing bootable"]["write"], Is.Null);
        Assert.That(Boot("primary A good"), Is.EqualTo("A"));
        Assert.That(byName["primary A good"]["write"], Is.Null, "booting a good slot writes nothing");
        Assert.That(Boot("primary B pending, 3 tries: use one"), Is.EqualTo("B"));
        Assert.That(Written("primary B pending, 3 tries: use one").B.TriesLeft, Is.EqualTo(2));
        Assert.That((int)byName["primary B pending, 3 tries: use one"]["write"]!["copy"]!, Is.EqualTo(1), "written over the older copy");
        Assert.That(Boot("primary B pending, no tries: fall back to A"), Is.EqualTo("A"));
        var fb = Written("primary B pending, no tries: fall back to A");
        Assert.That(fb.B.Reason, Is.EqualTo(BadReason.TriesExhausted));
        Assert.That(fb.Primary, Is.EqualTo(SlotName.A));
        Assert.That(Boot("primary B pending, no tries, A bad: nothing bootable"), Is.Null);
        Assert.That(Boot("primary A tampered, B good: fall back"), Is.EqualTo("B"));
        Assert.That(Boot("newer copy 0 has a bad CRC: copy 1 wins, copy 0 repaired"), Is.EqualTo("A"));
        Assert.That((int)byName["newer copy 0 has a bad CRC: copy 1 wins, copy 0 repaired"]["write"]!["copy"]!, Is.EqualTo(0));
        Assert.That(Boot("copy 1 torn (new first sector, old second): copy 0 wins"), Is.EqualTo("A"));
        Assert.That(Boot("equal generations: copy 0 wins"), Is.EqualTo("A"));
        Assert.That(Boot("both copies corrupt: no boot, no write"), Is.Null);
        Assert.That(byName["both copies corrupt: no boot, no write"]["write"], Is.Null);
        Assert.That(Boot("pending with tries but other slot bad"), Is.EqualTo("A"));
    }
}
