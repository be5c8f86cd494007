namespace HilRig.Update.Um.Modules;

/// <summary>
/// <c>test</c>: a module for scenarios. It installs nothing but a version, records every step it ran, fails the
/// steps named in <c>Params.failAt</c> or in the file <c>&lt;work&gt;/&lt;id&gt;.fail-at</c> (comma-separated: init,
/// prepare, update, apply, revert, reboot; read at each step, so a scenario can arm it at run time), and with
/// <c>Params.reboot</c> (steps, e.g. <c>update,revert</c>) asks for a system reboot after those steps like a
/// bootloader component.
/// </summary>
public sealed class TestModule(ModuleContext context) : IUpdateModule
{
    private ModuleStorage Storage => context.Storage;
    private bool NeedsReboot(string step) =>
        (context.Config.OptionalParam("reboot") ?? "").Split(',', StringSplitOptions.TrimEntries).Contains(step);
    public string FailFile => Path.Combine(context.WorkDirectory, $"{Id}.fail-at");

    public string Id => context.Config.Id;
    public string Type => "test";
    public string Version => Storage.Get("version") ?? context.Config.OptionalParam("version") ?? "0.0";

    /// <summary>Every step this module ran, across reboots: <c>prepare:2.0 update update apply</c>.</summary>
    public IReadOnlyList<string> Journal => (Storage.Get("journal") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public Task InitAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(context.WorkDirectory);
        Step("init");
        return Task.CompletedTask;
    }

    public Task PrepareAsync(StagedImage image, CancellationToken ct)
    {
        Step("prepare", image.Version);
        if (!File.Exists(image.Path)) throw new FileNotFoundException($"test module '{Id}': image {image.Path} is missing");
        Storage.Set("pendingVersion", image.Version);
        return Task.CompletedTask;
    }

    public Task<bool> UpdateAsync(CancellationToken ct) => Task.FromResult(StepWithReboot("update"));

    public Task<bool> ApplyAsync(CancellationToken ct)
    {
        if (Storage.Get("pendingVersion") is { } v) Storage.Set("version", v);
        Storage.Set("pendingVersion", null);
        return Task.FromResult(StepWithReboot("apply"));
    }

    public Task<bool> RevertAsync(CancellationToken ct)
    {
        Storage.Set("pendingVersion", null);
        return Task.FromResult(StepWithReboot("revert"));
    }

    public async Task RebootAsync(CancellationToken ct)
    {
        Step("reboot");
        // Like the bios of seed 001: if the node rebooted since this module asked, the reboot already happened.
        if (Storage.Get("rebootBoot") is { } asked && asked == context.Reboot.BootId)
            await context.Reboot.RebootAsync($"module '{Id}'", ct);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Asks for a reboot the first time a step runs in a boot; after the reboot the same step is done.</summary>
    private bool StepWithReboot(string step)
    {
        Step(step);
        if (!NeedsReboot(step)) return false;
        var key = $"rebooted:{step}";
        if (Storage.Get("rebootBoot") is { } asked && asked != context.Reboot.BootId && Storage.Get(key) == "asked")
        {
            Storage.Set(key, null);
            Storage.Set("rebootBoot", null);
            return false;
        }
        Storage.Set(key, "asked");
        Storage.Set("rebootBoot", context.Reboot.BootId);
        return true;
    }

    private void Step(string step, string? detail = null)
    {
        Storage.Set("journal", $"{Storage.Get("journal")} {step}{(detail is null ? "" : ":" + detail)}".Trim());
        var failAt = context.Config.OptionalParam("failAt") ?? "";
        if (File.Exists(FailFile)) failAt += "," + File.ReadAllText(FailFile);
        if (failAt.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(step))
            throw new TestModuleFailure($"test module '{Id}' fails at {step} on request");
    }
}

public sealed class TestModuleFailure(string message) : Exception(message);
