namespace HilRig.Update.Um.Modules;

/// <summary>
/// <c>rootfs-ab</c>, after AosCore's dual-partition module: Update writes the image into the slot not running,
/// makes it the main boot and asks for a reboot; after the reboot the same Update only checks that the node came up
/// on that slot. Apply copies the new slot over the old one so both are identical; Revert makes the old slot main
/// again and reboots only if the node is running the new one. Slot storage is <see cref="FileSlotBootControl"/>
/// (<c>Params.slots</c>) until the A/B updater of issue 3 lands.
/// </summary>
public sealed class RootfsAbModule(ModuleContext context) : IUpdateModule
{
    private readonly FileSlotBootControl _boot = new(context.Config.Param("slots"));
    private ModuleStorage Storage => context.Storage;

    public string Id => context.Config.Id;
    public string Type => "rootfs-ab";
    public string Version => Storage.Get("version") ?? context.Config.OptionalParam("version") ?? "0.0";

    public Task InitAsync(CancellationToken ct)
    {
        _boot.SetBootOK();
        return Task.CompletedTask;
    }

    public Task PrepareAsync(string imagePath, string version, string? annotations, CancellationToken ct)
    {
        if (new FileInfo(imagePath).Length == 0) throw new InvalidDataException($"rootfs-ab '{Id}': image {imagePath} is empty");
        Storage.Set("image", imagePath);
        Storage.Set("pendingVersion", version);
        Storage.Set("updateSlot", FileSlotBootControl.Other(_boot.GetCurrentBoot()));
        return Task.CompletedTask;
    }

    public async Task<bool> UpdateAsync(CancellationToken ct)
    {
        var target = Storage.Get("updateSlot") ?? throw new InvalidOperationException($"rootfs-ab '{Id}': Update before Prepare");
        if (Storage.Get("written") == "1" && Storage.Get("rebootBoot") != context.Reboot.BootId)
        {
            // Second call, after the reboot: the update worked only if the node booted the new slot.
            if (_boot.GetCurrentBoot() != target)
                throw new InvalidOperationException($"rootfs-ab '{Id}': booted slot {_boot.GetCurrentBoot()} after the update, expected {target}");
            _boot.SetBootOK();
            return false;
        }
        var image = Storage.Get("image")!;
        await AtomicFile.CopyAsync(image, _boot.SlotPath(target), ct);
        _boot.SetMainBoot(target);
        Storage.Set("written", "1");
        Storage.Set("rebootBoot", context.Reboot.BootId);
        return true;
    }

    public async Task<bool> ApplyAsync(CancellationToken ct)
    {
        var current = _boot.GetCurrentBoot();
        var other = FileSlotBootControl.Other(current);
        if (File.Exists(_boot.SlotPath(current))) await AtomicFile.CopyAsync(_boot.SlotPath(current), _boot.SlotPath(other), ct);
        if (Storage.Get("pendingVersion") is { } version) Storage.Set("version", version);
        Clear();
        return false;
    }

    public Task<bool> RevertAsync(CancellationToken ct)
    {
        var target = Storage.Get("updateSlot");
        if (target is null) return Task.FromResult(false);
        var old = FileSlotBootControl.Other(target);
        _boot.SetMainBoot(old);
        if (_boot.GetCurrentBoot() == target && Storage.Get("revertBoot") is null)
        {
            Storage.Set("revertBoot", context.Reboot.BootId);
            return Task.FromResult(true);
        }
        if (_boot.GetCurrentBoot() != old)
            throw new InvalidOperationException($"rootfs-ab '{Id}': still on slot {target} after the revert reboot");
        Clear();
        return Task.FromResult(false);
    }

    public async Task RebootAsync(CancellationToken ct)
    {
        // Asked in this boot (by Update or Revert) and not yet done: reboot now. Otherwise it already happened.
        if (Storage.Get("rebootBoot") == context.Reboot.BootId || Storage.Get("revertBoot") == context.Reboot.BootId)
            await context.Reboot.RebootAsync($"rootfs-ab '{Id}' switches slot", ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Clear()
    {
        foreach (var key in new[] { "image", "pendingVersion", "updateSlot", "written", "rebootBoot", "revertBoot" }) Storage.Set(key, null);
    }
}
