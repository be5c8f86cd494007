using HilRig.Storage;

namespace HilRig.AbUpdate;

public enum TamperCheck
{
    None,
    /// <summary>A few blocks chosen per boot (different ones each boot), with their hash paths.</summary>
    Sampled,
    /// <summary>Every block and the whole tree.</summary>
    Full,
}

/// <summary>
/// How a boot checks the chosen slot. With a <see cref="Keyring"/>, the slot's recorded Merkle root is trusted only when
/// its signature verifies (before the tamper check uses the root); without one, roots are taken as recorded (offline
/// tools, disks made without a release key).
/// </summary>
public sealed record BootPolicy(TamperCheck Check = TamperCheck.Sampled, int Samples = 16, ulong Seed = 0x4869_6C52_6967UL)
{
    public ReleaseKeyring? Keyring { get; init; }

    public static readonly BootPolicy Default = new();
    public static readonly BootPolicy NoCheck = new(TamperCheck.None);
    public static readonly BootPolicy FullCheck = new(TamperCheck.Full);
}

/// <summary>The outcome of one boot.</summary>
public sealed record BootResult(SlotName? Slot, SlotInfo? Info, IReadOnlyList<string> Log, string? Error, ulong Generation)
{
    public bool Booted => Slot is not null;

    /// <summary>The boot log line a device prints: "boot: slot B version 2.0 sha256 …".</summary>
    public string BootLine => Slot is { } s && Info is { } i
        ? $"boot: slot {s} version {(i.Version.Length > 0 ? i.Version : "unversioned")} sha256 {i.Sha256.ToHex()} ({i.Describe()})"
        : $"boot: no bootable slot: {Error}";
}

/// <summary>
/// Boot: read boot control (newest valid copy), decide (<see cref="BootSelector"/>), write the decision before booting,
/// check the chosen slot's root signature (with a keyring) and then its data against the Merkle tree by policy, and if
/// either fails mark it bad (the reason says which) and decide again.
/// Both copies unreadable: no boot and no write.
/// </summary>
public static class Bootloader
{
    public static BootResult Boot(AbDisk disk, BootPolicy? policy = null)
    {
        policy ??= BootPolicy.Default;
        var log = new List<string>();
        BootControlState state;
        try
        {
            state = disk.BootControl.Load();
        }
        catch (BootControlCorruptException e)
        {
            log.Add(e.Message);
            return new BootResult(null, null, log, e.Message, 0);
        }
        for (var i = 0; i < 2; i++)
            if (state.CopyErrors[i] is { } err)
                log.Add($"boot control copy {i} (offset {i * BootControlStore.CopyStride}) invalid: {err}; using copy {state.NewestCopy}");

        for (var round = 0; round < 3; round++)
        {
            var d = BootSelector.Decide(state.Record, state.NeedsRepair);
            log.AddRange(d.Log);
            if (d.Write is not null)
            {
                disk.Device.Reach("boot-select");
                state = disk.BootControl.CommitAndReload(state, d.Write);
            }
            if (d.Boot is not { } slot)
                return new BootResult(null, null, log, $"no bootable slot (A: {state.Record.A.Describe()}, B: {state.Record.B.Describe()})", state.Record.Generation);

            var info = state.Record[slot];
            if (policy.Keyring is { } keyring)
            {
                var check = keyring.Check(slot, info);
                if (!check.Ok)
                {
                    log.Add($"root signature check: {check.Detail}: marking slot {slot} bad");
                    disk.Device.Reach("tamper-mark-bad");
                    state = disk.BootControl.CommitAndReload(state, state.Record.With(slot, info.MarkBad(check.Reason)));
                    continue;
                }
                log.Add($"root signature check: slot {slot}: Merkle root {info.MerkleRoot.Short} signed by key {info.Signature.KeyId.Short}");
            }
            if (policy.Check != TamperCheck.None)
            {
                var s = disk[slot];
                var report = policy.Check == TamperCheck.Full
                    ? MerkleTree.VerifyFull(s.Image, s.HashArea, info.ImageSize, info.MerkleRoot)
                    : MerkleTree.VerifySampled(s.Image, s.HashArea, info.ImageSize, info.MerkleRoot, policy.Samples, policy.Seed ^ state.Record.Generation);
                if (!report.Ok)
                {
                    log.Add($"tamper check: {report.Describe($"slot {slot} {s.Where}")}: marking slot {slot} bad");
                    var bad = report.TreeCorrupt ? info.MarkBad(BadReason.MerkleCorrupt, report.CorruptNode) : info.MarkBad(BadReason.Tampered, report.FirstTamperedBlock);
                    disk.Device.Reach("tamper-mark-bad");
                    state = disk.BootControl.CommitAndReload(state, state.Record.With(slot, bad));
                    continue;
                }
                log.Add($"tamper check ({policy.Check.ToString().ToLowerInvariant()}): slot {slot}: {report.BlocksChecked} blocks OK");
            }
            var result = new BootResult(slot, info, log, null, state.Record.Generation);
            log.Add(result.BootLine);
            return result;
        }
        return new BootResult(null, null, log, "no bootable slot after tamper checks", state.Record.Generation);
    }
}
