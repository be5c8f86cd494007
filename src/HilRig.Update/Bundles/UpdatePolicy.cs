namespace HilRig.Update.Bundles;

/// <summary>
/// What a unit may accept besides a valid signature: without an offer only a newer <c>imageVersion</c> than the
/// installed one; with a cloud-signed offer exactly the offered version (which may be the previous one, seed 001);
/// and only component ids some UM of the unit updates.
/// </summary>
public sealed record UpdatePolicy(long InstalledImageVersion, long? OfferedImageVersion = null, IReadOnlySet<string>? KnownComponents = null)
{
    public static UpdatePolicy Any { get; } = new(0);

    public void Check(BundleMetadata metadata)
    {
        if (OfferedImageVersion is { } offered)
        {
            if (metadata.ImageVersion != offered)
                throw new BundleRejectedException(BundleRejection.ReplayedImageVersion,
                    $"metadata has imageVersion {metadata.ImageVersion}, the cloud offered {offered}");
        }
        else if (metadata.ImageVersion <= InstalledImageVersion)
        {
            throw new BundleRejectedException(BundleRejection.ReplayedImageVersion,
                $"metadata has imageVersion {metadata.ImageVersion}, not newer than the installed {InstalledImageVersion}");
        }
        if (KnownComponents is not null)
            foreach (var c in metadata.Components)
                if (!KnownComponents.Contains(c.Id))
                    throw new BundleRejectedException(BundleRejection.UnknownComponent,
                        $"component '{c.Id}' is not updated by any UM of this unit (known: {string.Join(", ", KnownComponents.Order())})");
    }
}
