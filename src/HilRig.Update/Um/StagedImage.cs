namespace HilRig.Update.Um;

/// <summary>
/// A component image as the handler hands it to a module's Prepare: fetched, and already checked against the size and
/// SHA-256 the CM sent (so the file's own size is the right one), so a module that needs the digest (the A/B updater's
/// plan) need not read the file again for it.
/// </summary>
public sealed record StagedImage(string Path, string Version, string? Annotations, byte[] Sha256);
