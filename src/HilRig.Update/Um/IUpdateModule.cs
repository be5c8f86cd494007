namespace HilRig.Update.Um;

/// <summary>
/// An update module (seed 001, after aos_updatemanager's updatehandler): updates one component. Update, Apply and
/// Revert return whether the component needs a reboot; the handler then calls <see cref="RebootAsync"/> in
/// reboot-priority order and calls the same step again, so every step must be safe to repeat after a reboot.
/// </summary>
public interface IUpdateModule : IAsyncDisposable
{
    /// <summary>The component id it updates (the <c>id</c> of a bundle component).</summary>
    string Id { get; }

    string Type { get; }

    /// <summary>The installed component version, persisted by the module.</summary>
    string Version { get; }

    Task InitAsync(CancellationToken ct);

    /// <summary>Validates and stages the image (already size- and sha256-checked by the handler).</summary>
    Task PrepareAsync(StagedImage image, CancellationToken ct);

    Task<bool> UpdateAsync(CancellationToken ct);

    Task<bool> ApplyAsync(CancellationToken ct);

    Task<bool> RevertAsync(CancellationToken ct);

    /// <summary>Reboots the component if it asked to, or confirms after a reboot that it came up as expected.</summary>
    Task RebootAsync(CancellationToken ct);
}
