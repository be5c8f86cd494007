using HilRig.Update.Storage;

namespace HilRig.Update.Um.Modules;

/// <summary>
/// <c>file</c>: installs a component as one file at <c>Params.path</c>. Prepare stages the image beside the target,
/// Update keeps the old file as a backup and renames the staged one over the target (atomic), Apply drops the
/// backup, Revert puts the backup back (or removes a file that did not exist before). Every file and rename is on disk
/// (<see cref="DurableFile"/>) before the step that relies on it, and every step checks what is on disk first, so it is
/// safe to repeat, after a power cut too. Never needs a reboot.
/// </summary>
public sealed class FileModule(ModuleContext context) : IUpdateModule
{
    private readonly string _target = context.Config.Param("path");
    private string Staged => _target + ".hilrig-new";
    private string Backup => _target + ".hilrig-old";
    private ModuleStorage Storage => context.Storage;

    public string Id => context.Config.Id;
    public string Type => "file";
    public string Version => Storage.Get("version") ?? context.Config.OptionalParam("version") ?? "0.0";

    public Task InitAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_target))!);
        return Task.CompletedTask;
    }

    public async Task PrepareAsync(StagedImage image, CancellationToken ct)
    {
        await DurableFile.CopyAsync(image.Path, Staged, ct);
        Storage.Set("pendingVersion", image.Version);
    }

    public async Task<bool> UpdateAsync(CancellationToken ct)
    {
        if (!File.Exists(Staged))
        {
            // Already renamed in an earlier run of this step, perhaps with the power gone before "updated" was written:
            // the staged file leaves only by that rename, and the rename comes only after "hadOriginal".
            if (Renamed)
            {
                Storage.Set("updated", "1");
                return false;
            }
            throw new InvalidOperationException($"file module '{Id}': nothing staged at {Staged}");
        }
        if (Storage.Get("hadOriginal") is null)
        {
            // The backup must be whole on disk before the target is replaced: Revert moves it back over the target.
            var existed = File.Exists(_target);
            if (existed) await DurableFile.CopyAsync(_target, Backup, ct);
            Storage.Set("hadOriginal", existed ? "1" : "0");
        }
        DurableFile.Move(Staged, _target);
        Storage.Set("updated", "1");
        return false;
    }

    public Task<bool> ApplyAsync(CancellationToken ct)
    {
        if (Storage.Get("pendingVersion") is { } version) Storage.Set("version", version);
        if (File.Exists(Backup)) File.Delete(Backup);
        Clear();
        return Task.FromResult(false);
    }

    public Task<bool> RevertAsync(CancellationToken ct)
    {
        // Decided before the staged file is removed: its absence after "hadOriginal" is what says the rename happened.
        var renamed = Renamed;
        if (File.Exists(Staged)) File.Delete(Staged);
        if (renamed)
        {
            if (File.Exists(Backup)) DurableFile.Move(Backup, _target);
            else if (Storage.Get("hadOriginal") == "0" && File.Exists(_target)) File.Delete(_target);
        }
        else if (File.Exists(Backup)) File.Delete(Backup); // made, but the target was never replaced
        Clear();
        return Task.FromResult(false);
    }

    /// <summary>Whether the staged file was renamed over the target: recorded, or "hadOriginal" written and nothing staged any more.</summary>
    private bool Renamed => Storage.Get("updated") == "1" || Storage.Get("hadOriginal") is not null && !File.Exists(Staged);

    public Task RebootAsync(CancellationToken ct) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Clear()
    {
        Storage.Set("pendingVersion", null);
        Storage.Set("updated", null);
        Storage.Set("hadOriginal", null);
    }
}
