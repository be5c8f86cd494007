using HilRig.AbUpdate;

namespace HilRig.Update.Um.Modules;

/// <summary>
/// <c>rootfs-ab</c>: the node's root filesystem, updated with the A/B updater (<see cref="AbUpdater"/>) on the disk
/// the node boots from (<see cref="ModuleContext.Disk"/>, the same <see cref="BootedDisk"/> the device's boot service
/// chose a slot on). The module contract of seed 001 (after AosCore's dual-partition module) maps onto A/B like this:
/// <list type="bullet">
/// <item><b>Init</b>: attaches to the disk; the first time, takes the booted slot's version as the installed one.
/// AosCore's Init calls SetBootOK; here a boot is confirmed by the device's health check, and a slot under update only
/// by Apply, so Init confirms nothing.</item>
/// <item><b>Prepare</b>: <see cref="AbUpdater.Check"/> validates the image without writing — full image or block delta,
/// size (empty, larger than the slot, shorter than its superblock), hash, a delta's body and its source (a delta made for
/// another release than the running one is refused here) — and the plan is persisted. A node running an unconfirmed
/// slot is refused: its only fallback would be the slot the update overwrites.</item>
/// <item><b>Update</b>: installs into the inactive slot (mark bad → stream with SHA-256 → verify → Merkle tree → mark
/// primary with 3 tries) and asks for a reboot. Called again after the reboot, it only confirms that the bootloader chose
/// the new slot and that the slot holds the prepared hash; a boot on the old slot means the new one fell back, and Update
/// fails.</item>
/// <item><b>Apply</b>: commits — marks the booted new slot good. The old slot is left as it is: the fallback if the new
/// release is later found tampered, what <c>ab rollback</c> returns to, and the next update's target anyway. AosCore's
/// dual-partition Apply copies the new partition over the old one because its U-Boot fallback wants two bootable
/// copies; here boot control never boots a slot that is not good (or pending with tries), so a copy would cost a full
/// slot write, and a window with no intact fallback while it runs, for nothing.</item>
/// <item><b>Revert</b>: makes the old slot primary again and the unconfirmed new one bad (rolled back); asks for a reboot
/// only if the new slot is the one running. Called again after that reboot, it checks the node is back on the old slot.</item>
/// <item><b>Reboot</b>: reboots if Update or Revert asked for it in this boot; otherwise the reboot already happened (one
/// system reboot serves every module that asked).</item>
/// </list>
/// Every step decides from what the disk says (booted slot, boot control) plus the persisted plan and the boot in which a
/// reboot was asked for, so it is safe to repeat after a reboot or a power cut at any point: an interrupted install is
/// redone (the updater writes nothing if the slot already holds the image), a cut after mark-primary boots the new slot,
/// and Update then confirms it.
/// </summary>
public sealed class RootfsAbModule(ModuleContext context) : IUpdateModule
{
    private const string PlanKey = "plan";
    /// <summary>The boot in which Update asked for the reboot into the new slot.</summary>
    private const string UpdateRebootKey = "updateRebootBoot";
    /// <summary>The boot in which Revert asked for the reboot back to the old slot.</summary>
    private const string RevertRebootKey = "revertRebootBoot";

    private ModuleStorage Storage => context.Storage;

    private BootedDisk Disk => context.Disk
        ?? throw new UmConfigException($"rootfs-ab '{Id}': node has no A/B disk; the module updates the disk the node boots from");

    private RootfsAbPlan? Plan => RootfsAbPlan.FromJson(Storage.Get(PlanKey));

    private string BootId => context.Reboot.BootId;

    public string Id => context.Config.Id;
    public string Type => "rootfs-ab";
    public string Version => Storage.Get("version") ?? context.Config.OptionalParam("version") ?? "0.0";

    public Task InitAsync(CancellationToken ct)
    {
        var booted = Disk.Info(Disk.Slot);
        if (Storage.Get("version") is null && Plan is null && booted.Version.Length > 0) Storage.Set("version", booted.Version);
        return Task.CompletedTask;
    }

    public Task PrepareAsync(StagedImage image, CancellationToken ct)
    {
        var running = Disk.Slot;
        var info = Disk.Info(running);
        if (info.State != SlotState.Good)
            throw new InvalidOperationException(
                $"rootfs-ab '{Id}': the running slot {running} is {info.Describe()}, not confirmed; an update would overwrite its only fallback (confirm it or let it fall back first)");
        // The handler checked the file against this digest; a full image's plan takes it instead of reading the image again.
        var signature = RootSignatureOf(image);
        var request = new InstallRequest(image.Version) { VerifiedSha256 = Digest.FromSpan(image.Sha256), RootSignature = signature };
        var plan = Disk.Use(u => u.Check(image.Path, request));
        ClearPlan();
        Storage.Set(PlanKey, new RootfsAbPlan(image.Path, plan.FromDelta, running, plan.Target, plan.Sha256.ToHex(), plan.Size, image.Version, signature?.ToText()).ToJson());
        return Task.CompletedTask;
    }

    public Task<bool> UpdateAsync(CancellationToken ct)
    {
        var plan = Plan ?? throw new InvalidOperationException($"rootfs-ab '{Id}': Update before Prepare");
        var booted = Disk.Slot;
        if (booted == plan.Target)
        {
            // Running the new slot: the reboot after mark-primary happened (ours, or a power cut that counts as one).
            var info = Disk.Info(booted);
            if (info.Sha256 != plan.Digest)
                throw new InvalidOperationException(
                    $"rootfs-ab '{Id}': the node runs slot {booted} with sha256 {info.Sha256.ToHex()} (version {info.Version}), not the prepared image's {plan.Sha256}");
            return Task.FromResult(false);
        }
        if (Storage.Get(UpdateRebootKey) is { } asked)
        {
            if (asked == BootId) return Task.FromResult(true);
            // Rebooted since the install, and the bootloader chose the old slot: the new one used up its tries, was found
            // tampered, or was rolled back.
            throw new InvalidOperationException(
                $"rootfs-ab '{Id}': booted slot {booted} ({Disk.Info(booted).Label}) after the update, expected slot {plan.Target} with version {plan.Version}; slot {plan.Target} is {Disk.Info(plan.Target).Describe()}");
        }
        Disk.Use(u =>
        {
            var request = new InstallRequest(plan.Version, plan.Digest, plan.Delta ? null : plan.Size)
            {
                RootSignature = plan.RootSignature is { } text ? RootSignatureFile.Parse(text, $"rootfs-ab '{Id}' plan") : null,
            };
            var result = u.Install(plan.Image, request);
            if (result.Target != plan.Target)
                throw new InvalidOperationException($"rootfs-ab '{Id}': the updater chose slot {result.Target}, Prepare planned slot {plan.Target}");
            // Already there (a repeat after a power cut, or a release the slot still held): it must still be tried.
            if (result.Outcome == InstallOutcome.AlreadyInstalled) u.Activate(plan.Target);
            return result;
        });
        Storage.Set(UpdateRebootKey, BootId);
        return Task.FromResult(true);
    }

    public Task<bool> ApplyAsync(CancellationToken ct)
    {
        if (Plan is not { } plan) return Task.FromResult(false); // applied before a power cut cut the step short
        var booted = Disk.Slot;
        if (booted != plan.Target)
            throw new InvalidOperationException(
                $"rootfs-ab '{Id}': cannot apply: the node runs slot {booted}, the update is in slot {plan.Target} ({Disk.Info(plan.Target).Describe()})");
        Disk.Use(u => u.MarkGood());
        Storage.Set("version", plan.Version);
        ClearPlan();
        return Task.FromResult(false);
    }

    public Task<bool> RevertAsync(CancellationToken ct)
    {
        if (Plan is not { } plan) return Task.FromResult(false);
        if (plan.NothingToSwitch)
        {
            ClearPlan();
            return Task.FromResult(false);
        }
        if (Disk.Slot == plan.Target)
        {
            if (Storage.Get(RevertRebootKey) is { } asked && asked != BootId)
                throw new InvalidOperationException(
                    $"rootfs-ab '{Id}': still running slot {plan.Target} after the revert's reboot; slot {plan.Source} is {Disk.Info(plan.Source).Describe()}");
            Disk.Use(u => u.RollbackTo(plan.Source));
            Storage.Set(RevertRebootKey, BootId);
            return Task.FromResult(true);
        }
        // On the old slot (the update never booted, or this is the boot after the revert's reboot): keep it primary and
        // make sure the new slot is never tried.
        Disk.Use(u => u.RollbackTo(plan.Source));
        ClearPlan();
        return Task.FromResult(false);
    }

    public async Task RebootAsync(CancellationToken ct)
    {
        // Asked in this boot and not yet done: reboot now. Otherwise the reboot already happened.
        if (Storage.Get(UpdateRebootKey) == BootId || Storage.Get(RevertRebootKey) == BootId)
            await context.Reboot.RebootAsync($"rootfs-ab '{Id}' switches slot", ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The annotation that carries the release's root signature (the text of its <c>.rootsig</c>).</summary>
    public const string RootSignatureAnnotation = "hilrig.root-signature";

    /// <summary>
    /// The component's root signature from its annotations (covered by the bundle's metadata signature on the way here);
    /// null when it has none — refused by the updater when the node's boot trusts only signed roots.
    /// </summary>
    private RootSignatureFile? RootSignatureOf(StagedImage image)
    {
        if (image.Annotations is not { Length: > 0 } json) return null;
        System.Text.Json.Nodes.JsonNode? node;
        try { node = System.Text.Json.Nodes.JsonNode.Parse(json); }
        catch (System.Text.Json.JsonException) { return null; }
        if (node is not System.Text.Json.Nodes.JsonObject o || !o.TryGetPropertyValue(RootSignatureAnnotation, out var value)) return null;
        if (value is not System.Text.Json.Nodes.JsonValue v || !v.TryGetValue<string>(out var text))
            throw new InvalidOperationException($"rootfs-ab '{Id}': annotation '{RootSignatureAnnotation}' is not a string");
        return RootSignatureFile.Parse(text, $"component '{Id}' annotation '{RootSignatureAnnotation}'");
    }

    private void ClearPlan()
    {
        foreach (var key in new[] { PlanKey, UpdateRebootKey, RevertRebootKey }) Storage.Set(key, null);
    }
}
