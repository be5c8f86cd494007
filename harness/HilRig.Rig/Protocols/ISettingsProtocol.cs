namespace HilRig.Rig.Protocols;

/// <summary>
/// The device settings a board reads at every boot (the update unit's roles and endpoints, the A/B check policy, a power
/// cut armed for the next boot). A step sets them before the board powers on or before it reboots; every board kind
/// hands them to its agent (a process board's config file, a QEMU or container board's data directory).
/// </summary>
public interface ISettingsProtocol
{
    /// <summary>Sets a setting for the next boot.</summary>
    void Configure(string key, string value);

    IReadOnlyDictionary<string, string> Settings { get; }
}
