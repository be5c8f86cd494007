using System.Buffers.Binary;
using System.Text;
using HilRig.Storage;

namespace HilRig.AbUpdate;

public enum SlotState : byte
{
    /// <summary>Never installed.</summary>
    Empty = 0,
    /// <summary>Installed and not yet confirmed: bootable while tries are left.</summary>
    Pending = 1,
    /// <summary>Confirmed by a health check.</summary>
    Good = 2,
    /// <summary>Not bootable; <see cref="BadReason"/> says why.</summary>
    Bad = 3,
}

public enum BadReason : byte
{
    None = 0,
    /// <summary>Marked bad before its content was overwritten; an install is in progress or was interrupted.</summary>
    Installing = 1,
    /// <summary>The install failed (hash mismatch, truncated image, I/O error).</summary>
    InstallFailed = 2,
    /// <summary>Booted with every try and never marked good.</summary>
    TriesExhausted = 3,
    /// <summary>A data block did not match the Merkle tree.</summary>
    Tampered = 4,
    /// <summary>The Merkle tree itself does not hash to the recorded root.</summary>
    MerkleCorrupt = 5,
    /// <summary>An explicit rollback left this (unconfirmed) slot.</summary>
    RolledBack = 6,
    /// <summary>Marked bad by an operator.</summary>
    Manual = 7,
    /// <summary>The boot trusts only signed roots and this slot's root carries no signature.</summary>
    RootNotSigned = 8,
    /// <summary>The root's signature does not verify over the slot, version, size, hash, root and tree parameters recorded.</summary>
    RootSignatureInvalid = 9,
    /// <summary>The root is signed by a key the boot's keyring does not hold.</summary>
    RootKeyUnknown = 10,
}

/// <summary>What boot control records about one slot.</summary>
public sealed record SlotInfo(
    SlotState State,
    byte TriesLeft,
    BadReason Reason,
    long ImageSize,
    Digest Sha256,
    Digest MerkleRoot,
    string Version,
    uint InstallCount,
    long TamperedBlock,
    SlotSignature Signature = default)
{
    public const int MaxVersionBytes = 128;
    public static readonly SlotInfo Empty = new(SlotState.Empty, 0, BadReason.None, 0, Digest.Zero, Digest.Zero, "", 0, -1);

    public bool HoldsRelease => State is SlotState.Good or SlotState.Pending;

    public SlotInfo MarkBad(BadReason reason, long tamperedBlock = -1) =>
        this with { State = SlotState.Bad, TriesLeft = 0, Reason = reason, TamperedBlock = tamperedBlock };

    /// <summary>"good", "pending (2 tries left)", "bad (tampered, block 17)".</summary>
    public string Describe() => State switch
    {
        SlotState.Empty => "empty",
        SlotState.Pending => $"pending ({TriesLeft} {(TriesLeft == 1 ? "try" : "tries")} left)",
        SlotState.Good => "good",
        _ => $"bad ({ReasonText(Reason)}{(TamperedBlock >= 0 ? $", block {TamperedBlock}" : "")})",
    };

    public static string ReasonText(BadReason r) => r switch
    {
        BadReason.Installing => "install in progress or interrupted",
        BadReason.InstallFailed => "install failed",
        BadReason.TriesExhausted => "tries exhausted without mark-good",
        BadReason.Tampered => "tampered",
        BadReason.MerkleCorrupt => "Merkle tree corrupt",
        BadReason.RolledBack => "rolled back",
        BadReason.Manual => "marked bad",
        BadReason.RootNotSigned => "root not signed",
        BadReason.RootSignatureInvalid => "root signature does not verify",
        BadReason.RootKeyUnknown => "root signed by an unknown key",
        _ => "unknown",
    };

    /// <summary>"1.2.0 (d3459147)".</summary>
    public string Label => HoldsRelease || ImageSize > 0 ? $"{(Version.Length > 0 ? Version : "unversioned")} ({Sha256.Short})" : "-";
}

/// <summary>
/// One boot-control record: a generation counter, the primary slot and both slots' state.
/// Serialized as 1024 bytes (two 512-byte sectors, so a torn write is possible and caught by the CRC32 in the last 4 bytes).
/// Format 2 added each slot's root signature (A at 544, B at 672: algorithm byte, key id at +8, r‖s at +40); a format-1
/// record (no signatures) is refused by its version field rather than read as "unsigned".
/// </summary>
public sealed record BootControlRecord(ulong Generation, SlotName? Primary, SlotInfo A, SlotInfo B)
{
    public const int Size = 1024;
    public const ushort FormatVersion = 2;
    /// <summary>The format before root signatures; named in the refusal so an old disk is recognized as one.</summary>
    public const ushort UnsignedFormatVersion = 1;
    private static readonly byte[] Magic = "HRBC"u8.ToArray();
    private const int SlotOffsetA = 32;
    private const int SlotOffsetB = 288;
    private const int SlotEntrySize = 256;
    /// <summary>Per-slot root signature blocks: [0] algorithm (0 none, 1 ECDSA P-256 SHA-256), [8..40] key id, [40..104] r‖s.</summary>
    private const int SignatureOffsetA = 544;
    private const int SignatureStride = 128;
    private const int SignatureBlockSize = 104;
    private const byte AlgorithmNone = 0;
    private const byte AlgorithmEcdsaP256 = 1;
    private const int CrcOffset = Size - 4;

    public static readonly BootControlRecord Empty = new(0, null, SlotInfo.Empty, SlotInfo.Empty);

    public SlotInfo this[SlotName s] => s == SlotName.A ? A : B;

    public BootControlRecord With(SlotName s, SlotInfo info) => s == SlotName.A ? this with { A = info } : this with { B = info };

    public byte[] Serialize()
    {
        var b = new byte[Size];
        Magic.CopyTo(b, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(6), Size);
        BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(8), Generation);
        b[16] = Primary is { } p ? (byte)p : (byte)0xFF;
        WriteSlot(b.AsSpan(SlotOffsetA, SlotEntrySize), A);
        WriteSlot(b.AsSpan(SlotOffsetB, SlotEntrySize), B);
        WriteSignature(b.AsSpan(SignatureOffsetA, SignatureBlockSize), A.Signature);
        WriteSignature(b.AsSpan(SignatureOffsetA + SignatureStride, SignatureBlockSize), B.Signature);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(CrcOffset), Crc32.Compute(b.AsSpan(0, CrcOffset)));
        return b;
    }

    private static void WriteSlot(Span<byte> e, SlotInfo s)
    {
        var version = Encoding.UTF8.GetBytes(s.Version);
        if (version.Length > SlotInfo.MaxVersionBytes)
            throw new ArgumentException($"version '{s.Version}' is {version.Length} bytes of UTF-8; at most {SlotInfo.MaxVersionBytes}");
        e[0] = (byte)s.State;
        e[1] = s.TriesLeft;
        e[2] = (byte)s.Reason;
        e[3] = (byte)version.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(e[4..], s.InstallCount);
        BinaryPrimitives.WriteInt64LittleEndian(e[8..], s.ImageSize);
        BinaryPrimitives.WriteInt64LittleEndian(e[16..], s.TamperedBlock);
        s.Sha256.WriteTo(e[24..56]);
        s.MerkleRoot.WriteTo(e[56..88]);
        version.CopyTo(e[88..]);
    }

    private static void WriteSignature(Span<byte> e, SlotSignature sig)
    {
        if (sig.IsNone) return;
        e[0] = AlgorithmEcdsaP256;
        sig.KeyId.WriteTo(e[8..40]);
        sig.R.WriteTo(e[40..72]);
        sig.S.WriteTo(e[72..104]);
    }

    private static SlotSignature? TryParseSignature(ReadOnlySpan<byte> e, string name, int at, out string error)
    {
        error = "";
        switch (e[0])
        {
            case AlgorithmNone:
                return default(SlotSignature);
            case AlgorithmEcdsaP256:
                return new SlotSignature(Digest.FromSpan(e[8..40]), Digest.FromSpan(e[40..72]), Digest.FromSpan(e[72..104]));
            default:
                error = $"slot {name} root signature algorithm {e[0]} at byte {at} is not known (0 none, 1 ECDSA P-256)";
                return null;
        }
    }

    /// <summary>Parses one copy; on failure returns null and says what is wrong (for the "where", the caller adds the copy's offset).</summary>
    public static BootControlRecord? TryParse(ReadOnlySpan<byte> b, out string error)
    {
        error = "";
        if (b.Length < Size)
        {
            error = $"record is {b.Length} bytes, expected {Size}";
            return null;
        }
        if (!b[..4].SequenceEqual(Magic))
        {
            error = $"bad magic {Convert.ToHexString(b[..4])} at byte 0 (expected 48524243 'HRBC')";
            return null;
        }
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(b[CrcOffset..]);
        var crc = Crc32.Compute(b[..CrcOffset]);
        if (stored != crc)
        {
            error = $"CRC32 mismatch at byte {CrcOffset} (stored {stored:x8}, computed {crc:x8})";
            return null;
        }
        var version = BinaryPrimitives.ReadUInt16LittleEndian(b[4..]);
        if (version == UnsignedFormatVersion)
        {
            error = $"format version {version} at byte 4 is the old boot control without root signatures; this bootloader reads format {FormatVersion} " +
                    "(re-create the disk with a current `hilrig disk create`, or install a signed release with a current updater from a board that still boots)";
            return null;
        }
        if (version != FormatVersion)
        {
            error = $"format version {version} at byte 4 is not supported (expected {FormatVersion})";
            return null;
        }
        var size = BinaryPrimitives.ReadUInt16LittleEndian(b[6..]);
        if (size != Size)
        {
            error = $"record size {size} at byte 6 (expected {Size})";
            return null;
        }
        var primaryByte = b[16];
        if (primaryByte is not (0 or 1 or 0xFF))
        {
            error = $"primary slot {primaryByte} at byte 16 is not 0 (A), 1 (B) or 255 (none)";
            return null;
        }
        var a = TryParseSlot(b.Slice(SlotOffsetA, SlotEntrySize), "A", SlotOffsetA, out error);
        if (a is null) return null;
        var bb = TryParseSlot(b.Slice(SlotOffsetB, SlotEntrySize), "B", SlotOffsetB, out error);
        if (bb is null) return null;
        if (TryParseSignature(b.Slice(SignatureOffsetA, SignatureBlockSize), "A", SignatureOffsetA, out error) is not { } sigA) return null;
        if (TryParseSignature(b.Slice(SignatureOffsetA + SignatureStride, SignatureBlockSize), "B", SignatureOffsetA + SignatureStride, out error) is not { } sigB) return null;
        a = a with { Signature = sigA };
        bb = bb with { Signature = sigB };
        return new BootControlRecord(BinaryPrimitives.ReadUInt64LittleEndian(b[8..]), primaryByte == 0xFF ? null : (SlotName)primaryByte, a, bb);
    }

    private static SlotInfo? TryParseSlot(ReadOnlySpan<byte> e, string name, int at, out string error)
    {
        error = "";
        if (e[0] > (byte)SlotState.Bad)
        {
            error = $"slot {name} state {e[0]} at byte {at} is not a known state";
            return null;
        }
        if (e[2] > (byte)BadReason.RootKeyUnknown)
        {
            error = $"slot {name} bad-reason {e[2]} at byte {at + 2} is not a known reason";
            return null;
        }
        if (e[3] > SlotInfo.MaxVersionBytes)
        {
            error = $"slot {name} version length {e[3]} at byte {at + 3} exceeds {SlotInfo.MaxVersionBytes}";
            return null;
        }
        string version;
        try
        {
            version = new UTF8Encoding(false, true).GetString(e.Slice(88, e[3]));
        }
        catch (DecoderFallbackException)
        {
            error = $"slot {name} version at byte {at + 88} is not UTF-8";
            return null;
        }
        return new SlotInfo((SlotState)e[0], e[1], (BadReason)e[2], BinaryPrimitives.ReadInt64LittleEndian(e[8..]),
            Digest.FromSpan(e[24..56]), Digest.FromSpan(e[56..88]), version, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(e[16..]));
    }
}

/// <summary>The result of reading both copies: the newest valid record, and what was wrong with each copy.</summary>
public sealed record BootControlState(BootControlRecord Record, int NewestCopy, string?[] CopyErrors)
{
    /// <summary>True when one copy is unreadable and should be rewritten.</summary>
    public bool NeedsRepair => CopyErrors.Any(e => e is not null);
}

/// <summary>
/// The redundant boot-control store: two copies (at 0 and 4096 in the bootctl partition), each a CRC32-protected
/// <see cref="BootControlRecord"/> with a generation counter. The newest valid copy wins. A commit flushes everything
/// written before it (the barrier that makes slot data durable first), then writes generation+1 over the other copy with
/// FUA, so a cut at any moment leaves at least one valid copy: the old state or the new one.
/// </summary>
public sealed class BootControlStore
{
    public const int CopyStride = 4096;
    private readonly IBlockDevice _partition;

    public BootControlStore(IBlockDevice partition) => _partition = partition;

    public IBlockDevice Partition => _partition;

    private int CopyBytes => (int)BlockDevice.AlignUp(BootControlRecord.Size, _partition.SectorSize);

    /// <summary>Reads both copies; throws <see cref="BootControlCorruptException"/> (writing nothing) when neither is valid.</summary>
    public BootControlState Load()
    {
        var errors = new string?[2];
        BootControlRecord?[] recs = new BootControlRecord?[2];
        for (var i = 0; i < 2; i++)
        {
            var bytes = _partition.ReadBytes(i * CopyStride, BootControlRecord.Size);
            recs[i] = BootControlRecord.TryParse(bytes, out var err);
            if (recs[i] is null) errors[i] = err;
        }
        if (recs[0] is null && recs[1] is null)
            throw new BootControlCorruptException(
                $"boot control unreadable on {BlockDevice.Describe(_partition)}: copy 0 (offset 0): {errors[0]}; copy 1 (offset {CopyStride}): {errors[1]}; refusing to boot or write");
        var newest = recs[1] is null || (recs[0] is not null && recs[0]!.Generation >= recs[1]!.Generation) ? 0 : 1;
        return new BootControlState(recs[newest]!, newest, errors);
    }

    /// <summary>
    /// Writes <paramref name="next"/> (its generation is replaced by the current newest + 1) over the copy that does not hold
    /// the newest valid record. Returns the record as written and the copy it went to.
    /// </summary>
    public (BootControlRecord Record, int Copy) Commit(BootControlState current, BootControlRecord next)
    {
        var target = AbFaults.SingleCopyBootControl ? 0 : 1 - current.NewestCopy;
        var record = next with { Generation = current.Record.Generation + 1 };
        var bytes = new byte[CopyBytes];
        record.Serialize().CopyTo(bytes, 0);
        if (!AbFaults.NoBarrier) _partition.Flush();
        _partition.Reach("bootctl-write");
        _partition.Write((long)target * CopyStride, bytes, WriteFlags.Fua);
        return (record, target);
    }

    /// <summary>Commit, then reload: returns the new state.</summary>
    public BootControlState CommitAndReload(BootControlState current, BootControlRecord next)
    {
        var (written, copy) = Commit(current, next);
        return new BootControlState(written, copy, new string?[2]);
    }

    /// <summary>Writes the same record to both copies (generations 0 and 1): a freshly created disk.</summary>
    internal void Initialize(BootControlRecord record)
    {
        for (var i = 0; i < 2; i++)
        {
            var bytes = new byte[CopyBytes];
            (record with { Generation = (ulong)i }).Serialize().CopyTo(bytes, 0);
            _partition.Write((long)i * CopyStride, bytes, WriteFlags.Fua);
        }
        _partition.Flush();
    }
}
