namespace HilRig.Update.Bundles;

/// <summary>The metadata object of seed 001: <c>imageVersion</c>, <c>components[]</c>, <c>decryptionInfo</c>.</summary>
public sealed record BundleMetadata(long ImageVersion, IReadOnlyList<ComponentInfo> Components, DecryptionInfo DecryptionInfo)
{
    public ComponentInfo? Find(string id) => Components.FirstOrDefault(c => c.Id == id);

    public BundleMetadata WithImageVersion(long version) => this with { ImageVersion = version };
}
