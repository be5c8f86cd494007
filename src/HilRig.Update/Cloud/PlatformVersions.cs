namespace HilRig.Update.Cloud;

/// <summary>
/// The image versions of one platform id (seed 001, Update procedure): every upload gets the next number after
/// the highest ever assigned, deleted or not, and only the latest remaining image may be deleted. "The last
/// uploaded image version is 5. Then it is deleted. OEM should not be able to delete version 4. If OEM uploads a
/// new image, AosCloud should assign version 6."
/// </summary>
public sealed record PlatformVersions(string PlatformId, long LastAssigned, IReadOnlyList<long> Available)
{
    public static PlatformVersions Empty(string platformId) => new(platformId, 0, []);

    public long? Latest => Available.Count == 0 ? null : Available[^1];

    /// <summary>The number the next upload gets: one past the highest ever assigned.</summary>
    public long NextVersion => LastAssigned + 1;

    public PlatformVersions Upload(out long version)
    {
        version = NextVersion;
        return this with { LastAssigned = version, Available = [.. Available, version] };
    }

    /// <summary>Removes <paramref name="version"/> if it is the last uploaded image, the only one the seed lets go.</summary>
    public PlatformVersions Delete(long version)
    {
        if (!Available.Contains(version))
            throw new VersionRuleException($"platform '{PlatformId}' has no image version {version}");
        if (version != LastAssigned)
            throw new VersionRuleException(Available.Contains(LastAssigned)
                ? $"platform '{PlatformId}': only the last uploaded image version ({LastAssigned}) can be deleted, not {version}"
                : $"platform '{PlatformId}': only the last uploaded image can be deleted and version {LastAssigned} already was; {version} stays");
        return this with { Available = Available.Where(v => v != version).ToArray() };
    }
}
