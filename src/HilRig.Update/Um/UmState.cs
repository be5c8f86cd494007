using HilRig.Update.Protocol;

namespace HilRig.Update.Um;

/// <summary>
/// What the update handler persists on every transition: the state, the image it concerns, the components of the
/// PrepareUpdate, and the operation it was in the middle of (so a reboot inside Update, Apply or Revert resumes it).
/// </summary>
public sealed record UmState(
    UpdateState State,
    ulong ImageVersion,
    IReadOnlyList<PreparedComponent> Components,
    string? PendingOperation,
    string? Error,
    ulong InstalledImageVersion = 0)
{
    public static UmState Idle { get; } = new(UpdateState.Idle, 0, [], null, null);

    /// <summary>Back to idle holding <paramref name="image"/>, which is what the UM reports from then on.</summary>
    public static UmState IdleOn(ulong image) => Idle with { ImageVersion = image, InstalledImageVersion = image };
}

/// <summary>A component of the current update, as PrepareUpdate named it.</summary>
public sealed record PreparedComponent(string Id, string Type, string Version, string? Annotations, string Url, string Sha256Hex, ulong Size);
