using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using HilRig.Storage;
using HilRig.Testing;
using NUnit.Framework;

namespace HilRig.AbUpdate.Tests;

/// <summary>
/// Signed roots (issue 13 item 5): a slot's Merkle root is trusted at boot only when its signature by a release key
/// verifies over (slot, version, size, SHA-256, root, tree parameters). Each bad input: rewritten slot + root, wrong key,
/// truncated signature, a signature over another slot or version, unsigned, old formats.
/// </summary>
public class RootSignatureTests
{
    private const long MiB = 1 << 20;
    private static readonly ReleaseSigner Signer = ReleaseSigner.Generate();
    private static readonly ReleaseSigner Other = ReleaseSigner.Generate();
    private static ReleaseKeyring Keyring => Signer.Keyring;
    private static BootPolicy Full => BootPolicy.FullCheck with { Keyring = Keyring };

    /// <summary>A disk with A = v0 (good) and B = v1 (good, primary), both signed, booted on B; the device trusts <see cref="Signer"/>.</summary>
    private static (MemoryBlockDevice Mem, AbDisk Disk, byte[] V0, byte[] V1) SignedRunning()
    {
        var (mem, _, disk) = TestDisks.Create(MiB);
        var v0 = TestDisks.Image(100, 600_000);
        var v1 = TestDisks.Image(101, 600_000);
        foreach (var (image, version, booted) in new[] { (v0, "1.0", (SlotName?)null), (v1, "2.0", SlotName.A) })
        {
            var r = new AbUpdater(disk, booted) { Keyring = Keyring }.Install(new MemoryStream(image),
                new InstallRequest(version) { RootSignature = Signer.SignImage(image, version) });
            var boot = Bootloader.Boot(disk, Full);
            Assert.That(boot.Slot, Is.EqualTo(r.Target), string.Join("\n", boot.Log));
            new AbUpdater(disk, r.Target).MarkGood();
        }
        return (mem, AbDisk.Open(mem), v0, v1);
    }

    [Test]
    public void A_signed_release_boots_and_the_log_names_the_key()
    {
        var (_, disk, _, v1) = SignedRunning();
        var rec = disk.BootControl.Load().Record;
        Assert.That(rec.B.Signature.KeyId, Is.EqualTo(Signer.KeyId));
        Assert.That(rec.A.Signature.IsNone, Is.False);
        var boot = Bootloader.Boot(disk, Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B));
        Assert.That(boot.Log, Has.Some.EqualTo($"root signature check: slot B: Merkle root {rec.B.MerkleRoot.Short} signed by key {Signer.KeyId.Short}"));
        Assert.That(rec.B.MerkleRoot, Is.EqualTo(ReleaseSigner.RootOf(v1).MerkleRoot));
    }

    /// <summary>
    /// The attack the CRC never caught: rewrite the booted slot, its Merkle tree and the root in boot control, recompute the
    /// CRC. Before signed roots this booted (the tree matched the root, the CRC matched the record); now the root's
    /// signature does not verify, the slot is marked bad with that reason, and the boot falls back to the other slot.
    /// </summary>
    [Test]
    public void A_rewritten_slot_with_a_recomputed_root_and_crc_is_refused_and_the_boot_falls_back()
    {
        var (_, disk, _, _) = SignedRunning();
        var evil = TestDisks.Image(666, 600_000);
        RewriteSlot(disk, SlotName.B, evil, "2.0");

        Assert.That(Bootloader.Boot(disk, BootPolicy.FullCheck).Slot, Is.EqualTo(SlotName.B), "without the keyring the rewritten slot passes every check (what was wrong)");
        var boot = Bootloader.Boot(disk, Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A), string.Join("\n", boot.Log));
        Assert.That(boot.Log, Has.Some.StartsWith("root signature check: slot B's root signature (key ").And.Contains("does not verify over slot B, version 2.0, 600000 bytes"));
        Assert.That(boot.Log, Has.Some.EqualTo("fallback: slot B → slot A"));
        var b = disk.BootControl.Load().Record.B;
        Assert.That(b.Describe(), Is.EqualTo("bad (root signature does not verify)"));
    }

    [Test]
    public void A_normal_signed_update_works_after_the_attack()
    {
        var (_, disk, _, _) = SignedRunning();
        RewriteSlot(disk, SlotName.B, TestDisks.Image(666, 600_000), "2.0");
        Assert.That(Bootloader.Boot(disk, Full).Slot, Is.EqualTo(SlotName.A));
        var v3 = TestDisks.Image(103, 500_000);
        var r = new AbUpdater(disk, SlotName.A) { Keyring = Keyring }.Install(new MemoryStream(v3), new InstallRequest("3.0") { RootSignature = Signer.SignImage(v3, "3.0") });
        Assert.That(r.Target, Is.EqualTo(SlotName.B));
        var boot = Bootloader.Boot(disk, Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B));
        Assert.That(boot.Info!.Version, Is.EqualTo("3.0"));
    }

    [Test]
    public void A_root_signed_by_another_key_is_refused_at_install_before_any_write_and_at_boot()
    {
        var (mem, disk, _, _) = SignedRunning();
        var v3 = TestDisks.Image(103, 500_000);
        var before = TestDisks.PartitionBytes(mem, disk, SlotName.A);
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B) { Keyring = Keyring }
            .Install(new MemoryStream(v3), new InstallRequest("3.0") { RootSignature = Other.SignImage(v3, "3.0") }, "v3.img"))!;
        Assert.That(e.Message, Is.EqualTo($"v3.img: root signature refused: slot A's root is signed by key {Other.KeyId.Short}, which is not in keyring; nothing was written"));
        Assert.That(TestDisks.PartitionBytes(mem, disk, SlotName.A), Is.EqualTo(before));

        // Written by an updater without the keyring (or by hand): the boot refuses it.
        new AbUpdater(disk, SlotName.B).Install(new MemoryStream(v3), new InstallRequest("3.0") { RootSignature = Other.SignImage(v3, "3.0") });
        var boot = Bootloader.Boot(disk, Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B));
        Assert.That(boot.Log, Has.Some.Contains($"slot A's root is signed by key {Other.KeyId.Short}, which is not in keyring: marking slot A bad"));
        Assert.That(disk.BootControl.Load().Record.A.Reason, Is.EqualTo(BadReason.RootKeyUnknown));
    }

    [Test]
    public void A_truncated_signature_is_refused_naming_the_line_and_column()
    {
        var v3 = TestDisks.Image(103, 500_000);
        var text = Signer.SignImage(v3, "3.0").ToText();
        var lines = text.Split('\n');
        lines[6] = lines[6][..^2];   // slot-A: one byte short
        var e = Assert.Throws<RootSignatureException>(() => RootSignatureFile.Parse(string.Join('\n', lines), "v3.img.rootsig"))!;
        Assert.That(e.Message, Is.EqualTo("v3.img.rootsig:7:8: slot-A: 63 bytes, an ECDSA P-256 signature (r‖s) is 64 — truncated or not one"));

        var cut = text[..text.IndexOf("slot-B", StringComparison.Ordinal)];
        Assert.That(Assert.Throws<RootSignatureException>(() => RootSignatureFile.Parse(cut, "v3.img.rootsig"))!.Message,
            Is.EqualTo("v3.img.rootsig: field 'slot-B' is missing"));
        Assert.That(Assert.Throws<RootSignatureException>(() => RootSignatureFile.Parse(text.Replace("sha256 ", "sha256 zz"), "x.rootsig"))!.Message,
            Is.EqualTo("x.rootsig:4:8: sha256: not 64 hex digits"));
    }

    [Test]
    public void A_signature_over_the_other_slot_does_not_verify()
    {
        var (mem, disk, _, _) = SignedRunning();
        var v3 = TestDisks.Image(103, 500_000);
        var sig = Signer.SignImage(v3, "3.0");
        var swapped = sig with { A = sig.B };   // slot B's signature offered for slot A
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B) { Keyring = Keyring }
            .Install(new MemoryStream(v3), new InstallRequest("3.0") { RootSignature = swapped }, "v3.img"))!;
        Assert.That(e.Message, Does.StartWith($"v3.img: root signature refused: slot A's root signature (key {Signer.KeyId.Short}) does not verify over slot A, version 3.0, 500000 bytes"));

        // In boot control: slot B's (valid) entry and signature copied into slot A's place.
        var state = disk.BootControl.Load();
        var copied = state.Record.B with { State = SlotState.Good };
        WriteRecord(mem, disk, state.Record.With(SlotName.A, copied) with { Primary = SlotName.A, Generation = state.Record.Generation + 1 });
        var boot = Bootloader.Boot(AbDisk.Open(mem), BootPolicy.NoCheck with { Keyring = Keyring });
        Assert.That(boot.Log, Has.Some.Contains("slot A's root signature (key ").And.Contains("does not verify over slot A"));
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B));
    }

    [Test]
    public void A_signature_over_another_version_does_not_verify()
    {
        var (mem, disk, _, _) = SignedRunning();
        var v3 = TestDisks.Image(103, 500_000);
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B) { Keyring = Keyring }
            .Install(new MemoryStream(v3), new InstallRequest("3.1") { RootSignature = Signer.SignImage(v3, "3.0") }, "v3.img"))!;
        Assert.That(e.Message, Is.EqualTo("v3.img: the root signature is for another release: it signs version '3.0', the install is version '3.1'; nothing was written"));

        // An attacker relabels the running release in boot control (same root, other version): its signature no longer verifies.
        var state = disk.BootControl.Load();
        WriteRecord(mem, disk, state.Record.With(SlotName.B, state.Record.B with { Version = "9.9" }) with { Generation = state.Record.Generation + 1 });
        var boot = Bootloader.Boot(AbDisk.Open(mem), Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(boot.Log, Has.Some.Contains("does not verify over slot B, version 9.9"));
    }

    [Test]
    public void With_a_keyring_an_unsigned_install_is_refused_and_an_unsigned_slot_is_not_booted()
    {
        var (mem, disk, _, _) = SignedRunning();
        var v3 = TestDisks.Image(103, 500_000);
        var e = Assert.Throws<InstallRefusedException>(() => new AbUpdater(disk, SlotName.B) { Keyring = Keyring }.Install(new MemoryStream(v3), new InstallRequest("3.0"), "v3.img"))!;
        Assert.That(e.Message, Is.EqualTo("v3.img: no root signature: this device boots only releases whose Merkle root is signed by a key of keyring; nothing was written"));

        new AbUpdater(disk, SlotName.B).Install(new MemoryStream(v3), new InstallRequest("3.0"));
        var boot = Bootloader.Boot(disk, Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.B));
        Assert.That(disk.BootControl.Load().Record.A.Describe(), Is.EqualTo("bad (root not signed)"));
    }

    [Test]
    public void A_signed_delta_installs_and_boots()
    {
        var (_, disk, _, v1) = SignedRunning();
        var v2 = (byte[])v1.Clone();
        v2.AsSpan(40_000, 9000).Fill(7);
        var delta = new MemoryStream();
        BlockDelta.Create(new MemoryStream(v1), new MemoryStream(v2), delta, new DeltaOptions { Version = "2.1" });
        delta.Position = 0;
        var r = new AbUpdater(disk, SlotName.B) { Keyring = Keyring }.Install(delta, new InstallRequest { RootSignature = Signer.SignImage(v2, "2.1") });
        Assert.That(r.FromDelta, Is.True);
        var boot = Bootloader.Boot(disk, Full);
        Assert.That(boot.Slot, Is.EqualTo(SlotName.A));
        Assert.That(boot.Info!.Version, Is.EqualTo("2.1"));
    }

    [Test]
    public void An_old_format_boot_control_is_a_clear_error_naming_the_field_and_byte()
    {
        var (mem, disk, _, _) = SignedRunning();
        var part = disk.BootControlPartition.Offset;
        for (var copy = 0; copy < 2; copy++)
        {
            var bytes = mem.ReadBytes(part + copy * BootControlStore.CopyStride, BootControlRecord.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), BootControlRecord.UnsignedFormatVersion);
            bytes.AsSpan(544, 256).Clear();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(1020), Crc32.Compute(bytes.AsSpan(0, 1020)));
            mem.Write(part + copy * BootControlStore.CopyStride, bytes);
        }
        var boot = Bootloader.Boot(AbDisk.Open(mem), Full);
        Assert.That(boot.Slot, Is.Null);
        Assert.That(boot.Error, Does.Contain("copy 0 (offset 0): format version 1 at byte 4 is the old boot control without root signatures; this bootloader reads format 2"));
        Assert.That(Assert.Throws<RootSignatureException>(() => RootSignatureFile.Parse("hilrig-root-signature 0\nversion 1\n", "old.rootsig"))!.Message,
            Is.EqualTo("old.rootsig:1:23: root signature format '0' is not supported (this updater reads format 1)"));
    }

    [Test]
    public void An_unknown_signature_algorithm_in_boot_control_names_its_byte()
    {
        var rec = new BootControlRecord(1, null, SlotInfo.Empty, SlotInfo.Empty).Serialize();
        rec[672] = 9;
        BinaryPrimitives.WriteUInt32LittleEndian(rec.AsSpan(1020), Crc32.Compute(rec.AsSpan(0, 1020)));
        Assert.That(BootControlRecord.TryParse(rec, out var error), Is.Null);
        Assert.That(error, Is.EqualTo("slot B root signature algorithm 9 at byte 672 is not known (0 none, 1 ECDSA P-256)"));
    }

    [Test]
    public void A_keyring_holds_public_keys_only()
    {
        Assert.That(ReleaseKeyring.Parse(Signer.PublicPem + "\n" + Other.PublicPem + "\n", "keys.pem").KeyIds, Is.EquivalentTo(new[] { Signer.KeyId, Other.KeyId }));
        Assert.That(Assert.Throws<RootSignatureException>(() => ReleaseKeyring.Parse(Signer.PrivatePem, "keys.pem"))!.Message,
            Is.EqualTo("keys.pem: character 0: a 'PRIVATE KEY' block; a release keyring holds only PUBLIC KEY blocks (never a private key)"));
        Assert.That(Assert.Throws<RootSignatureException>(() => ReleaseKeyring.Parse("hello", "keys.pem"))!.Message,
            Is.EqualTo("keys.pem: no PUBLIC KEY block: not a release keyring"));
    }

    [Test]
    public void The_signature_file_round_trips()
    {
        var sig = Signer.SignImage(TestDisks.Image(5, 10_000), "5.0");
        Assert.That(RootSignatureFile.Parse(sig.ToText(), "x"), Is.EqualTo(sig));
    }

    // ---- shared test vectors (fixtures/ab/root-signature-vectors.json): keyring + both copies in, boot and write out ----

    private static IEnumerable<(string Name, byte[] Copy0, byte[] Copy1)> VectorInputs(ReleaseSigner signer, ReleaseSigner stranger)
    {
        SlotInfo Signed(ReleaseSigner by, SlotName slot, string version, int seed)
        {
            var sha = Digest.Sha256(BitConverter.GetBytes(seed));
            var root = Digest.Sha256(sha.ToArray());
            return new SlotInfo(SlotState.Good, 0, BadReason.None, 4096L * seed, sha, root, version, 1, -1, by.Sign(version, 4096L * seed, sha, root).For(slot));
        }
        var a = Signed(signer, SlotName.A, "1.0", 1);
        var b = Signed(signer, SlotName.B, "2.0", 2);
        byte[] R(ulong gen, SlotInfo sa, SlotInfo sb) => new BootControlRecord(gen, SlotName.B, sa, sb).Serialize();
        (string, byte[], byte[]) Case(string name, SlotInfo sb) => (name, R(10, a, sb), R(9, a, sb));
        yield return Case("B signed, primary, good: boots B", b);
        yield return Case("B's data and root rewritten, CRC recomputed: B bad (signature does not verify), boots A", b with { MerkleRoot = Digest.Sha256("evil"u8), Sha256 = Digest.Sha256("evil-image"u8) });
        yield return Case("B signed by a key not in the keyring: B bad, boots A", Signed(stranger, SlotName.B, "2.0", 2));
        yield return Case("B unsigned: B bad, boots A", b with { Signature = default });
        yield return Case("B carries slot A's signature of the same release: B bad, boots A", b with { Signature = Signed(signer, SlotName.A, "2.0", 2).Signature });
        yield return Case("B relabelled as version 9.9: B bad, boots A", b with { Version = "9.9" });
        yield return Case("B's image size changed: B bad, boots A", b with { ImageSize = b.ImageSize + 4096 });
        var old = R(10, a, b);
        BinaryPrimitives.WriteUInt16LittleEndian(old.AsSpan(4), BootControlRecord.UnsignedFormatVersion);
        old.AsSpan(544, 256).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(old.AsSpan(1020), Crc32.Compute(old.AsSpan(0, 1020)));
        yield return ("both copies format 1 (before signed roots): no boot, no write", old, old);
    }

    private static JsonObject RunVector(string name, byte[] copy0, byte[] copy1, ReleaseKeyring keyring)
    {
        var (mem, _, _) = TestDisks.Create(64 * 1024);
        var disk = AbDisk.Open(mem);
        var part = disk.BootControlPartition.Offset;
        mem.Write(part, copy0);
        mem.Write(part + BootControlStore.CopyStride, copy1);
        var rec = new RecordingDevice(mem);
        var boot = Bootloader.Boot(AbDisk.Open(rec), BootPolicy.NoCheck with { Keyring = keyring });
        var writes = rec.Writes.Where(w => w.Offset >= part && w.Offset < part + 2 * BootControlStore.CopyStride).ToList();
        JsonNode? written = null;
        if (writes.Count > 0)
        {
            var copy = (int)((writes[^1].Offset - part) / BootControlStore.CopyStride);
            written = new JsonObject { ["copy"] = copy, ["record"] = Convert.ToHexStringLower(mem.ReadBytes(part + copy * (long)BootControlStore.CopyStride, BootControlRecord.Size)) };
        }
        return new JsonObject
        {
            ["name"] = name,
            ["copy0"] = Convert.ToHexStringLower(copy0),
            ["copy1"] = Convert.ToHexStringLower(copy1),
            ["boot"] = boot.Slot?.ToString(),
            ["write"] = written,
            ["log"] = new JsonArray(boot.Log.Where(l => l.StartsWith("root signature check", StringComparison.Ordinal) || l.StartsWith("fallback", StringComparison.Ordinal))
                .Select(l => (JsonNode)JsonValue.Create(l)!).ToArray()),
            ["error"] = boot.Error,
        };
    }

    /// <summary>
    /// ECDSA signatures are randomized, so the vectors are made once (HILRIG_REGEN_VECTORS=1: a fresh key, its public half
    /// stored with them) and replayed: the stored copies and keyring must give the stored boot, write and log.
    /// </summary>
    [Test]
    public void Root_signature_checks_match_the_shared_test_vectors()
    {
        var path = RepoPaths.Fixtures("ab", "root-signature-vectors.json");
        if (Environment.GetEnvironmentVariable("HILRIG_REGEN_VECTORS") == "1")
        {
            using var signer = ReleaseSigner.Generate();
            using var stranger = ReleaseSigner.Generate();
            var vectors = new JsonArray(VectorInputs(signer, stranger).Select(v => (JsonNode)RunVector(v.Name, v.Copy0, v.Copy1, ReleaseKeyring.Parse(signer.PublicPem, "release-keys.pem"))).ToArray());
            var doc = new JsonObject { ["keyring"] = signer.PublicPem + "\n", ["vectors"] = vectors };
            File.WriteAllText(path, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        var stored = JsonNode.Parse(File.ReadAllText(path))!;
        var keyring = ReleaseKeyring.Parse((string)stored["keyring"]!, "release-keys.pem");
        var list = stored["vectors"]!.AsArray();
        Assert.That(list, Has.Count.EqualTo(8), "vector count (regenerate with HILRIG_REGEN_VECTORS=1 after a deliberate change)");
        foreach (var v in list)
        {
            var computed = RunVector((string)v!["name"]!, Convert.FromHexString((string)v["copy0"]!), Convert.FromHexString((string)v["copy1"]!), keyring);
            Assert.That(JsonNode.DeepEquals(v, computed), Is.True, $"vector '{v["name"]}' differs from the fixture:\n{computed}");
        }
        var byName = list.ToDictionary(v => (string)v!["name"]!, v => v!);
        Assert.That((string?)byName["B signed, primary, good: boots B"]["boot"], Is.EqualTo("B"));
        foreach (var (name, v) in byName.Where(kv => kv.Key.EndsWith("boots A", StringComparison.Ordinal)))
        {
            Assert.That((string?)v["boot"], Is.EqualTo("A"), name);
            var written = BootControlRecord.TryParse(Convert.FromHexString((string)v["write"]!["record"]!), out _)!;
            Assert.That(written.B.State, Is.EqualTo(SlotState.Bad), name);
            Assert.That(written.Primary, Is.EqualTo(SlotName.A), name);
        }
        Assert.That((string?)byName["both copies format 1 (before signed roots): no boot, no write"]["write"]?.ToString(), Is.Null);
    }

    /// <summary>What an attacker with the disk does: new data, a new Merkle tree, the new root in boot control, a valid CRC.</summary>
    private static void RewriteSlot(AbDisk disk, SlotName slot, byte[] image, string version)
    {
        var s = disk[slot];
        s.Image.Write(0, image.Concat(new byte[MerkleTree.LeafCount(image.Length) * MerkleTree.BlockSize - image.Length]).ToArray());
        var (tree, root) = MerkleTree.BuildFromImage(image);
        s.HashArea.Write(0, tree);
        var state = disk.BootControl.Load();
        var info = state.Record[slot] with { State = SlotState.Good, Reason = BadReason.None, Sha256 = Digest.Sha256(image), MerkleRoot = root, ImageSize = image.Length, Version = version };
        disk.BootControl.CommitAndReload(state, state.Record.With(slot, info) with { Primary = slot });
    }

    /// <summary>Writes a record over both copies (as a hand-edited disk would be), CRC recomputed by Serialize.</summary>
    private static void WriteRecord(MemoryBlockDevice mem, AbDisk disk, BootControlRecord record)
    {
        var bytes = new byte[BootControlStore.CopyStride];
        record.Serialize().CopyTo(bytes, 0);
        mem.Write(disk.BootControlPartition.Offset, bytes);
        mem.Write(disk.BootControlPartition.Offset + BootControlStore.CopyStride, bytes);
    }
}
