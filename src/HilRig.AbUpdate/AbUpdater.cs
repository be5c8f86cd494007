using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using HilRig.Storage;
using HilRig.Storage.PowerLoss;

namespace HilRig.AbUpdate;

/// <summary>
/// What to install and how to check it. <see cref="ExpectedSha256"/> is the hash the slot must end up with (a full
/// image's own hash; for a delta, the target it promises); <see cref="ExpectedSize"/> is a full image's length.
/// </summary>
public sealed record InstallRequest(string? Version = null, Digest? ExpectedSha256 = null, long? ExpectedSize = null, byte Tries = 3)
{
    public static readonly InstallRequest Default = new();

    /// <summary>
    /// The SHA-256 of the source file as the caller has already checked it (an update manager's download check). For a
    /// full image that is the image's own hash: <see cref="AbUpdater.Check"/> takes it instead of reading the whole file
    /// again, and an install still hashes what it writes and refuses an image that hashes otherwise (a file changed since
    /// the check is caught). A delta file's hash says nothing about the slot it produces: deltas ignore it.
    /// </summary>
    public Digest? VerifiedSha256 { get; init; }

    /// <summary>
    /// The release's root signature (<c>IMAGE.rootsig</c>, a bundle's <c>hilrig.root-signature</c>): checked against what is
    /// written (version, size, SHA-256, Merkle root) and, on a device with a keyring, against the keyring before the first
    /// write; the target slot's signature is kept in boot control for the boot to verify.
    /// </summary>
    public RootSignatureFile? RootSignature { get; init; }

    /// <summary>The version boot control records: the request's, else the one the root signature vouches for.</summary>
    internal string RecordedVersion(string? fallback = null) => Version ?? RootSignature?.Version ?? fallback ?? "";
}

public enum InstallOutcome
{
    /// <summary>Written, verified and marked primary with tries: reboot to try it.</summary>
    Installed,
    /// <summary>The active slot already runs this image: nothing written.</summary>
    AlreadyRunning,
    /// <summary>The target slot already holds this image: nothing written.</summary>
    AlreadyInstalled,
}

public sealed record InstallResult(
    InstallOutcome Outcome, SlotName Target, string Version, Digest Sha256, long Size, Digest MerkleRoot, bool FromDelta, TimeSpan Elapsed)
{
    public string Message => Outcome switch
    {
        InstallOutcome.Installed =>
            $"installed {(FromDelta ? "delta" : "image")} into slot {Target}: version {(Version.Length > 0 ? Version : "unversioned")} sha256 {Sha256.ToHex()} ({Size} bytes) in {Elapsed.TotalSeconds:0.000} s; slot {Target} is primary with tries, reboot to use it",
        InstallOutcome.AlreadyRunning => $"nothing to do: the active slot already runs sha256 {Sha256.ToHex()}",
        _ => $"nothing to do: slot {Target} already holds sha256 {Sha256.ToHex()}",
    };
}

/// <summary>
/// What an install would do, found by <see cref="AbUpdater.Check"/> without writing: the outcome, the slot it would
/// write (<see cref="Source"/> is the slot running now, which a delta reads), and the slot's hash and size afterwards.
/// </summary>
public sealed record InstallPlan(InstallOutcome Outcome, SlotName Target, SlotName? Source, bool FromDelta, Digest Sha256, long Size, string Version);

/// <summary>
/// The updater on one disk: install (full image or delta) into the inactive slot, mark good, roll back, verify, status,
/// and the runtime views (read-only root under a volatile overlay, persistent data). <see cref="Booted"/> is the slot this
/// boot runs from; offline (a disk image on a workstation) it is null and the active slot is the one that would boot next.
/// The active slot is only ever opened read-only.
/// </summary>
public sealed class AbUpdater
{
    public AbUpdater(AbDisk disk, SlotName? booted = null)
    {
        Disk = disk;
        Booted = booted;
    }

    /// <summary>Read buffer of an image or delta file: a delta's op headers are a few bytes each.</summary>
    private const int ReadBufferBytes = 1 << 16;

    public AbDisk Disk { get; }
    public SlotName? Booted { get; }

    /// <summary>
    /// The most patch output a format-2 delta may ask this device to hold at once (its header declares its peak); a delta
    /// that needs more is refused before any write.
    /// </summary>
    public long MaxDeltaBufferBytes { get; init; } = 256L << 20;

    /// <summary>The largest zstd window (log2 bytes) a format-2 delta may need: 27 is 128 MiB.</summary>
    public int MaxDeltaWindowLog { get; init; } = 27;

    /// <summary>
    /// The release keys this device's boot trusts. With one, an install without a root signature, or with one that does
    /// not verify, is refused before any write: the boot would refuse the slot anyway.
    /// </summary>
    public ReleaseKeyring? Keyring { get; init; }

    /// <summary>The slot the system runs (or would boot next), or null when nothing is bootable.</summary>
    public SlotName? ActiveSlot(BootControlState state) => Booted ?? BootSelector.Decide(state.Record).Boot;

    private SlotName TargetFor(BootControlState state, SlotName? active) =>
        active?.Other() ?? (state.Record.Primary is { } p ? p.Other() : SlotName.A);

    public InstallResult Install(string path, InstallRequest? request = null)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ReadBufferBytes, FileOptions.SequentialScan);
        return Install(f, request, path);
    }

    /// <summary>Installs a full image or a delta (recognized by its header) from a stream.</summary>
    public InstallResult Install(Stream source, InstallRequest? request = null, string? sourceName = null)
    {
        request ??= InstallRequest.Default;
        sourceName ??= "image";
        var head = new byte[ImageSniffer.HeadBytes];
        var headLength = BlockDelta.ReadFull(source, head);
        Stream body;
        long? remaining = null;
        if (source.CanSeek)
        {
            source.Seek(-headLength, SeekOrigin.Current);
            remaining = source.Length - source.Position;
            body = source;
        }
        else body = new PrefixedStream(head, headLength, source);

        return DeltaHeader.HasMagic(head.AsSpan(0, headLength))
            ? InstallDelta(body, remaining, request, sourceName)
            : InstallImage(body, remaining, head.AsSpan(0, headLength), request, sourceName);
    }

    /// <summary>
    /// Checks an image or delta file as <see cref="Install(string, InstallRequest?)"/> would, and writes nothing: every
    /// refusal that needs only the file and boot control (truncated, empty, larger than the slot, wrong hash, a delta
    /// that is corrupt or made for another source) is thrown here, and the plan says what an install would do. The whole
    /// file is read once, to hash it. (An update manager's Prepare: refuse early, write later.)
    /// </summary>
    public InstallPlan Check(string path, InstallRequest? request = null)
    {
        request ??= InstallRequest.Default;
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, ReadBufferBytes, FileOptions.SequentialScan);
        var head = new byte[ImageSniffer.HeadBytes];
        var headLength = BlockDelta.ReadFull(f, head);
        f.Position = 0;
        var state = Disk.BootControl.Load();
        var active = ActiveSlot(state);

        if (DeltaHeader.HasMagic(head.AsSpan(0, headLength)))
        {
            var header = ReadDeltaHeader(f, f.Length, path);
            if (active is { } running && state.Record[running].HoldsRelease && state.Record[running].Sha256 == header.TargetSha256)
                return new InstallPlan(InstallOutcome.AlreadyRunning, running, running, true, header.TargetSha256, header.TargetSize, state.Record[running].Version);
            var target = DeltaTarget(state, active, header, request, path);
            VerifySource(Disk[target.Other()].Image.ReadOnlyView(), target.Other(), state.Record[target.Other()], header, path);
            var noop = NoOp(state, active, target, header.TargetSha256, Stopwatch.StartNew(), true);
            if (noop is null) RefuseSignature(request, target, request.RecordedVersion(header.Version), header.TargetSize, header.TargetSha256, header.TargetMerkleRoot, path);
            return new InstallPlan(noop?.Outcome ?? InstallOutcome.Installed, target, active, true, header.TargetSha256, header.TargetSize, request.RecordedVersion(header.Version));
        }
        else
        {
            var target = TargetFor(state, active);
            RefuseImage(f.Length, ImageSniffer.DeclaredSize(head.AsSpan(0, headLength)), request, target, path);
            var sha = request.VerifiedSha256 ?? Digest.FromSpan(SHA256.HashData(f));
            if (request.ExpectedSha256 is { } want && want != sha)
                throw new InstallRefusedException($"{path}: hash mismatch: expected sha256 {want.ToHex()}, the image has {sha.ToHex()}");
            var noop = NoOp(state, active, target, sha, Stopwatch.StartNew(), false);
            if (noop is null) RefuseSignature(request, target, request.RecordedVersion(), f.Length, sha, null, path);
            return new InstallPlan(noop?.Outcome ?? InstallOutcome.Installed, noop?.Target ?? target, active, false, sha, f.Length, request.RecordedVersion());
        }
    }

    /// <summary>The refusals of a full image that need no write: size against the request, the superblock and the slot, an already verified hash.</summary>
    private void RefuseImage(long? length, (string Type, long Size)? declared, InstallRequest request, SlotName target, string sourceName)
    {
        var slot = Disk[target];
        if (request.ExpectedSize is { } es && length is { } len && len != es)
            throw new InstallRefusedException(len < es
                ? $"{sourceName}: image truncated: {len} bytes, expected {es} (ends at offset {len})"
                : $"{sourceName}: image is {len} bytes, expected {es}");
        var knownSize = request.ExpectedSize ?? length;
        if (declared is { } dcl && length is { } l2 && l2 < dcl.Size)
            throw new InstallRefusedException($"{sourceName}: image truncated: its {dcl.Type} superblock declares {dcl.Size} bytes, the file ends at offset {l2}");
        if (knownSize is { } ks && ks > slot.Capacity)
            throw new InstallRefusedException($"{sourceName}: image is {ks} bytes, larger than slot {target} ({slot.Where}) which holds {slot.Capacity}");
        if (knownSize == 0) throw new InstallRefusedException($"{sourceName}: image is empty");
        if (request.ExpectedSha256 is { } want && request.VerifiedSha256 is { } verified && want != verified)
            throw new InstallRefusedException($"{sourceName}: hash mismatch: expected sha256 {want.ToHex()}, the image has {verified.ToHex()}");
    }

    private InstallResult InstallImage(Stream source, long? length, ReadOnlySpan<byte> head, InstallRequest request, string sourceName)
    {
        var clock = Stopwatch.StartNew();
        var state = Disk.BootControl.Load();
        var active = ActiveSlot(state);
        var target = TargetFor(state, active);
        var slot = Disk[target];
        var declared = ImageSniffer.DeclaredSize(head);

        // Every refusal below happens before the first write.
        RefuseImage(length, declared, request, target, sourceName);
        var knownSize = request.ExpectedSize ?? length;

        var incoming = request.ExpectedSha256 ?? request.VerifiedSha256;
        if (incoming is null && source.CanSeek && knownSize is { } k &&
            ((active is { } a0 && state.Record[a0].ImageSize == k) || state.Record[target].ImageSize == k))
        {
            var start = source.Position;
            incoming = Digest.FromSpan(SHA256.HashData(source));
            source.Position = start;
        }
        if (NoOp(state, active, target, incoming, clock, false) is { } noop) return noop;
        RefuseSignature(request, target, request.RecordedVersion(), knownSize, incoming, null, sourceName);

        state = MarkInstalling(state, active, target);
        try
        {
            using var writer = new SlotWriter(slot.Image, slot.Capacity, $"slot {target} ({slot.Where})");
            writer.CopyFrom(source);
            var (sha, size, leaves) = writer.Finish();
            if (size == 0) throw new InstallRefusedException($"{sourceName}: image is empty");
            if (request.ExpectedSize is { } es2 && size != es2)
                throw new InstallRefusedException(size < es2
                    ? $"{sourceName}: image truncated: stream ended at offset {size}, expected {es2} bytes"
                    : $"{sourceName}: image is {size} bytes, expected {es2}");
            if (declared is { } d2 && size < d2.Size)
                throw new InstallRefusedException($"{sourceName}: image truncated: its {d2.Type} superblock declares {d2.Size} bytes, the stream ended at offset {size}");
            if (request.VerifiedSha256 is { } verified && verified != sha)
                throw new InstallRefusedException($"{sourceName}: the image changed since it was verified: it had sha256 {verified.ToHex()}, now {sha.ToHex()}");
            if (request.ExpectedSha256 is { } want && want != sha)
                throw new InstallRefusedException($"{sourceName}: hash mismatch: expected sha256 {want.ToHex()}, the image has {sha.ToHex()}");
            return Commit(state, target, sha, size, leaves, request.RecordedVersion(), request, false, clock);
        }
        catch (Exception e) when (e is not PowerCutException)
        {
            throw Failed(state, target, e, sourceName);
        }
    }

    private InstallResult InstallDelta(Stream source, long? length, InstallRequest request, string sourceName)
    {
        var clock = Stopwatch.StartNew();
        var header = ReadDeltaHeader(source, length, sourceName);
        var state = Disk.BootControl.Load();
        var active = ActiveSlot(state);
        if (active is { } running && state.Record[running].HoldsRelease && state.Record[running].Sha256 == header.TargetSha256)
            return NoOp(state, active, running.Other(), header.TargetSha256, clock, true)!;
        var target = DeltaTarget(state, active, header, request, sourceName);
        var src = target.Other();
        var slot = Disk[target];
        if (NoOp(state, active, target, header.TargetSha256, clock, true) is { } noop) return noop;

        RefuseSignature(request, target, request.RecordedVersion(header.Version), header.TargetSize, header.TargetSha256, header.TargetMerkleRoot, sourceName);
        var sourceImage = Disk[src].Image.ReadOnlyView();
        var sourceLeaves = VerifySource(sourceImage, src, state.Record[src], header, sourceName);
        state = MarkInstalling(state, active, target);
        try
        {
            using var writer = new SlotWriter(slot.Image, slot.Capacity, $"slot {target} ({slot.Where})");
            using var bodyHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var reader = new DeltaBodyReader(source, bodyHash, header.BodyLength, sourceName);
            // Ops produce whole blocks; the image is the first TargetSize bytes, the rest of the last block is padding.
            writer.ImageSizeLimit = header.TargetSize;
            DeltaApplier.Apply(reader, header, writer, sourceImage, sourceLeaves, sourceName);
            if (reader.Consumed != header.BodyLength)
                throw new InstallRefusedException($"{sourceName}: delta has {header.BodyLength - reader.Consumed} bytes after its last op (at offset {DeltaHeader.Size + reader.Consumed})");
            Span<byte> bh = stackalloc byte[Digest.Size];
            bodyHash.GetHashAndReset(bh);
            if (Digest.FromSpan(bh) != header.BodySha256)
                throw new InstallRefusedException($"{sourceName}: delta body is corrupt: sha256 {Digest.FromSpan(bh).Short}, header says {header.BodySha256.Short}");
            var (sha, size, leaves) = writer.Finish();
            if (size != header.TargetSize || sha != header.TargetSha256)
                throw new InstallRefusedException(
                    $"{sourceName}: hash mismatch after applying the delta: slot {target} has sha256 {sha.ToHex()} ({size} bytes), the delta promises {header.TargetSha256.ToHex()} ({header.TargetSize} bytes)");
            return Commit(state, target, sha, size, leaves, request.RecordedVersion(header.Version), request, true, clock, header.TargetMerkleRoot);
        }
        catch (Exception e) when (e is not PowerCutException)
        {
            throw Failed(state, target, e, sourceName);
        }
    }

    /// <summary>Reads and checks a delta's header, its declared length and (on a seekable stream) its body hash; leaves the stream at the body.</summary>
    private static DeltaHeader ReadDeltaHeader(Stream source, long? length, string sourceName)
    {
        var headerBytes = new byte[DeltaHeader.Size];
        var got = BlockDelta.ReadFull(source, headerBytes);
        var header = DeltaHeader.Parse(headerBytes.AsSpan(0, got), sourceName);
        if (length is { } len && len != DeltaHeader.Size + header.BodyLength)
            throw new InstallRefusedException(len < DeltaHeader.Size + header.BodyLength
                ? $"{sourceName}: delta truncated: {len} bytes, its header declares {DeltaHeader.Size + header.BodyLength} (ends at offset {len})"
                : $"{sourceName}: delta is {len} bytes, its header declares {DeltaHeader.Size + header.BodyLength}");
        if (source.CanSeek)
        {
            var start = source.Position;
            var bodyHash = Digest.FromSpan(SHA256.HashData(source));
            if (bodyHash != header.BodySha256)
                throw new InstallRefusedException($"{sourceName}: delta body (bytes {DeltaHeader.Size}..{DeltaHeader.Size + header.BodyLength}) is corrupt: sha256 {bodyHash.Short}, header says {header.BodySha256.Short}");
            source.Position = start;
        }
        return header;
    }

    /// <summary>The slot a delta writes, after the refusals that need no write: no source running, another source, too large, not the expected target.</summary>
    private SlotName DeltaTarget(BootControlState state, SlotName? active, DeltaHeader header, InstallRequest request, string sourceName)
    {
        if (active is not { } src || !state.Record[src].HoldsRelease)
            throw new InstallRefusedException($"{sourceName}: a delta needs an active slot holding its source release; this disk has none bootable");
        var srcInfo = state.Record[src];
        if (srcInfo.Sha256 != header.SourceSha256 || srcInfo.ImageSize != header.SourceSize)
            throw new InstallRefusedException(
                $"{sourceName}: delta made for another source: it needs sha256 {header.SourceSha256.ToHex()} ({header.SourceSize} bytes), active slot {src} holds {srcInfo.Sha256.ToHex()} ({srcInfo.ImageSize} bytes, version {srcInfo.Version})");
        var target = src.Other();
        var slot = Disk[target];
        if (header.TargetSize > slot.Capacity)
            throw new InstallRefusedException($"{sourceName}: delta target is {header.TargetSize} bytes, larger than slot {target} ({slot.Where}) which holds {slot.Capacity}");
        if (request.ExpectedSha256 is { } want && want != header.TargetSha256)
            throw new InstallRefusedException($"{sourceName}: hash mismatch: expected sha256 {want.ToHex()}, the delta produces {header.TargetSha256.ToHex()}");
        if (header.FormatVersion >= 2 && header.PeakBufferBytes > MaxDeltaBufferBytes)
            throw new InstallRefusedException($"{sourceName}: delta needs {header.PeakBufferBytes} bytes of patch buffers at once (header byte 312), this device allows {MaxDeltaBufferBytes}");
        if (header.FormatVersion >= 2 && header.WindowLog > MaxDeltaWindowLog)
            throw new InstallRefusedException($"{sourceName}: delta needs a 2^{header.WindowLog}-byte zstd window (header byte 309), this device allows 2^{MaxDeltaWindowLog}");
        return target;
    }

    /// <summary>
    /// Checks, before any write, that the active slot still holds the delta's source: the header's source SHA-256 and size
    /// were matched against boot control's record of the slot (<see cref="DeltaTarget"/>); here every block of the slot is
    /// hashed (on all cores) and the Merkle root they make is matched against the root recorded with that SHA-256, so a
    /// slot whose blocks changed behind boot control's back is refused. Returns the leaf digests: the applier takes a copied
    /// block's leaf from them instead of hashing it again.
    /// </summary>
    private static byte[] VerifySource(IBlockDevice source, SlotName slot, SlotInfo info, DeltaHeader header, string sourceName)
    {
        var leaves = MerkleTree.ComputeLeaves(source, header.SourceSize);
        var (_, root) = MerkleTree.Build(leaves, header.SourceSize);
        if (root != info.MerkleRoot)
            throw new InstallRefusedException(
                $"{sourceName}: active slot {slot} does not hold the delta's source: its first {header.SourceSize} bytes make Merkle root {root.ToHex()}, " +
                $"boot control records {info.MerkleRoot.ToHex()} for sha256 {header.SourceSha256.ToHex()}; nothing was written");
        return leaves;
    }

    private InstallResult? NoOp(BootControlState state, SlotName? active, SlotName target, Digest? incoming, Stopwatch clock, bool delta)
    {
        if (incoming is not { } h) return null;
        if (active is { } a && state.Record[a].HoldsRelease && state.Record[a].Sha256 == h)
            return new InstallResult(InstallOutcome.AlreadyRunning, a, state.Record[a].Version, h, state.Record[a].ImageSize, state.Record[a].MerkleRoot, delta, clock.Elapsed);
        if (state.Record[target].HoldsRelease && state.Record[target].Sha256 == h)
            return new InstallResult(InstallOutcome.AlreadyInstalled, target, state.Record[target].Version, h, state.Record[target].ImageSize, state.Record[target].MerkleRoot, delta, clock.Elapsed);
        return null;
    }

    private BootControlState MarkInstalling(BootControlState state, SlotName? active, SlotName target)
    {
        var rec = state.Record;
        var info = rec[target].MarkBad(BadReason.Installing) with { InstallCount = rec[target].InstallCount + 1 };
        var next = rec.With(target, info);
        if (next.Primary == target) next = next with { Primary = active };
        Disk.Device.Reach("mark-bad");
        return Disk.BootControl.CommitAndReload(state, next);
    }

    /// <summary>
    /// The root-signature refusals that need no write: a keyring and no signature; a signature for another release (what
    /// is known so far of version, size, hash and root); a signature the keyring does not accept for the target slot.
    /// </summary>
    private void RefuseSignature(InstallRequest request, SlotName target, string version, long? size, Digest? sha, Digest? root, string sourceName)
    {
        if (request.RootSignature is not { } sig)
        {
            if (Keyring is { } k)
                throw new InstallRefusedException($"{sourceName}: no root signature: this device boots only releases whose Merkle root is signed by a key of {k.Source}; nothing was written");
            return;
        }
        if (sig.Mismatch(version, size ?? sig.ImageSize, sha ?? sig.Sha256, root ?? sig.MerkleRoot) is { } wrong)
            throw new InstallRefusedException($"{sourceName}: the root signature is for another release: it signs {wrong}; nothing was written");
        if (Keyring is { } keyring)
        {
            var claimed = new SlotInfo(SlotState.Pending, 0, BadReason.None, sig.ImageSize, sig.Sha256, sig.MerkleRoot, sig.Version, 0, -1, sig.For(target));
            var check = keyring.Check(target, claimed);
            if (!check.Ok) throw new InstallRefusedException($"{sourceName}: root signature refused: {check.Detail}; nothing was written");
        }
    }

    private InstallResult Commit(BootControlState state, SlotName target, Digest sha, long size, ReadOnlyMemory<byte> leaves,
        string version, InstallRequest request, bool delta, Stopwatch clock, Digest? expectedRoot = null)
    {
        var slot = Disk[target];
        var (tree, root) = MerkleTree.Build(leaves.Span, size);
        if (expectedRoot is { } er && er != root)
            throw new InstallRefusedException($"Merkle root of slot {target} is {root.ToHex()}, the delta promises {er.ToHex()}");
        var signature = default(SlotSignature);
        if (request.RootSignature is { } sig)
        {
            if (sig.Mismatch(version, size, sha, root) is { } wrong)
                throw new InstallRefusedException($"the root signature is for another release: it signs {wrong}");
            signature = sig.For(target);
        }
        Disk.Device.Reach("merkle-write");
        slot.HashArea.Write(0, tree);
        Disk.Device.Reach("mark-primary");
        var info = new SlotInfo(SlotState.Pending, request.Tries, BadReason.None, size, sha, root, version, state.Record[target].InstallCount, -1, signature);
        Disk.BootControl.CommitAndReload(state, state.Record.With(target, info) with { Primary = target });
        Disk.Device.Reach("mark-primary-done");
        return new InstallResult(InstallOutcome.Installed, target, version, sha, size, root, delta, clock.Elapsed);
    }

    private Exception Failed(BootControlState state, SlotName target, Exception e, string sourceName)
    {
        try
        {
            Disk.BootControl.Commit(state, state.Record.With(target, state.Record[target].MarkBad(BadReason.InstallFailed)));
        }
        catch (Exception ex) when (ex is not PowerCutException)
        {
            // The target stays marked bad (installing) either way; the original error is what matters.
        }
        return e is AbException ? e : new InstallRefusedException($"{sourceName}: install into slot {target} failed: {e.Message}");
    }

    /// <summary>The health check passed: the booted (offline: primary) pending slot becomes good.</summary>
    public SlotInfo MarkGood()
    {
        var state = Disk.BootControl.Load();
        var slot = Booted ?? state.Record.Primary ?? throw new AbStateException($"{Disk.Name}: no primary slot to mark good");
        var info = state.Record[slot];
        if (info.State == SlotState.Good) return info;
        if (info.State != SlotState.Pending)
            throw new AbStateException($"{Disk.Name}: slot {slot} is {info.Describe()}; only a pending slot can be marked good");
        var good = info with { State = SlotState.Good, TriesLeft = 0 };
        Disk.Device.Reach("mark-good");
        Disk.BootControl.CommitAndReload(state, state.Record.With(slot, good));
        return good;
    }

    /// <summary>Makes the other slot primary (it must be good); an unconfirmed current slot is marked bad (rolled back).</summary>
    public SlotName Rollback()
    {
        var state = Disk.BootControl.Load();
        var current = ActiveSlot(state) ?? state.Record.Primary ?? throw new AbStateException($"{Disk.Name}: nothing to roll back from: no slot is bootable");
        return RollbackTo(current.Other());
    }

    /// <summary>
    /// Makes <paramref name="slot"/> (it must be good) primary; the other slot, if unconfirmed (pending), is marked bad
    /// (rolled back) so it is never tried again. Writes nothing when boot control already says so, so it is safe to repeat.
    /// </summary>
    public SlotName RollbackTo(SlotName slot)
    {
        var state = Disk.BootControl.Load();
        if (state.Record[slot].State != SlotState.Good)
            throw new AbStateException($"{Disk.Name}: cannot roll back to slot {slot}: it is {state.Record[slot].Describe()}");
        var from = slot.Other();
        var next = state.Record with { Primary = slot };
        if (next[from].State == SlotState.Pending) next = next.With(from, next[from].MarkBad(BadReason.RolledBack));
        if (next == state.Record) return slot;
        Disk.Device.Reach("rollback");
        Disk.BootControl.CommitAndReload(state, next);
        return slot;
    }

    /// <summary>
    /// Makes a slot that already holds a release primary and pending with <paramref name="tries"/> (RAUC's mark-active):
    /// an install whose target already held the image wrote nothing, but the slot must still be tried and confirmed like a
    /// fresh one. Writes nothing when the slot is already the pending primary, so it is safe to repeat.
    /// </summary>
    public SlotInfo Activate(SlotName slot, byte tries = 3)
    {
        var state = Disk.BootControl.Load();
        var info = state.Record[slot];
        if (!info.HoldsRelease)
            throw new AbStateException($"{Disk.Name}: cannot make slot {slot} primary: it is {info.Describe()}");
        if (Booted == slot)
            throw new AbStateException($"{Disk.Name}: slot {slot} is the booted slot; only the other slot can be activated for a try");
        if (state.Record.Primary == slot && info.State == SlotState.Pending) return info;
        var pending = info with { State = SlotState.Pending, TriesLeft = tries };
        Disk.Device.Reach("mark-primary");
        Disk.BootControl.CommitAndReload(state, state.Record.With(slot, pending) with { Primary = slot });
        Disk.Device.Reach("mark-primary-done");
        return pending;
    }

    /// <summary>Checks a slot (default: the active one) against its Merkle tree; a tampered slot is marked bad.</summary>
    public MerkleReport Verify(SlotName? which = null, bool full = true, bool markBad = true, ulong seed = 1)
    {
        var state = Disk.BootControl.Load();
        var slot = which ?? ActiveSlot(state) ?? throw new AbStateException($"{Disk.Name}: no slot to verify: none is bootable");
        var info = state.Record[slot];
        if (!info.HoldsRelease) throw new AbStateException($"{Disk.Name}: slot {slot} holds no release ({info.Describe()})");
        var s = Disk[slot];
        var report = full
            ? MerkleTree.VerifyFull(s.Image, s.HashArea, info.ImageSize, info.MerkleRoot)
            : MerkleTree.VerifySampled(s.Image, s.HashArea, info.ImageSize, info.MerkleRoot, 64, seed);
        if (!report.Ok && markBad)
        {
            var bad = report.TreeCorrupt ? info.MarkBad(BadReason.MerkleCorrupt, report.CorruptNode) : info.MarkBad(BadReason.Tampered, report.FirstTamperedBlock);
            var next = state.Record.With(slot, bad);
            if (next.Primary == slot && next[slot.Other()].State == SlotState.Good) next = next with { Primary = slot.Other() };
            Disk.Device.Reach("tamper-mark-bad");
            Disk.BootControl.CommitAndReload(state, next);
        }
        return report;
    }

    /// <summary>
    /// Checks every slot that holds a release (full check) and reports changed blocks by slot and index; marks nothing
    /// unless asked, so a customer's disk dump can be inspected without changing it.
    /// </summary>
    public IReadOnlyList<SlotVerifyReport> VerifyAll(bool markBad = false)
    {
        var state = Disk.BootControl.Load();
        var reports = new List<SlotVerifyReport>();
        foreach (var slot in new[] { SlotName.A, SlotName.B })
        {
            var info = state.Record[slot];
            if (!info.HoldsRelease)
            {
                reports.Add(new SlotVerifyReport(slot.ToString(), info.Describe(), null, []));
                continue;
            }
            var r = Verify(slot, full: true, markBad: markBad);
            reports.Add(new SlotVerifyReport(slot.ToString(), r.Ok ? "ok" : r.TreeCorrupt ? "merkle-corrupt" : "tampered",
                r.Describe($"slot {slot} ({Disk[slot].Where})"), r.TamperedBlocks.ToArray())
            {
                TamperedCount = r.TamperedCount,
                CorruptLevel = r.TreeCorrupt ? r.CorruptLevel : null,
                CorruptHashBlock = r.TreeCorrupt ? r.CorruptNode : null,
            });
        }
        return reports;
    }

    public AbStatus Status() => AbStatus.Read(Disk, Booted);

    /// <summary>The root device of this boot: the booted slot, read-only, under a volatile overlay that the next boot discards.</summary>
    public VolatileOverlay OpenRoot()
    {
        var slot = Booted ?? throw new AbStateException($"{Disk.Name}: no booted slot (offline disk)");
        return new VolatileOverlay(Disk[slot].Image.ReadOnlyView());
    }

    /// <summary>The data partition: read-write and persistent across boots and updates.</summary>
    public IBlockDevice OpenData() => Disk.Data;
}

/// <summary>One slot's verify result: "ok", "tampered" (blocks listed), "merkle-corrupt", or the state of a slot without a release.</summary>
public sealed record SlotVerifyReport(string Slot, string Result, string? Detail, long[] TamperedBlocks)
{
    public long TamperedCount { get; init; }
    public int? CorruptLevel { get; init; }
    public long? CorruptHashBlock { get; init; }
}
