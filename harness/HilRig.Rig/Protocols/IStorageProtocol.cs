namespace HilRig.Rig.Protocols;

/// <summary>A board's persistent storage as the harness can reach it (an image file for simulated boards).</summary>
public interface IStorageProtocol
{
    /// <summary>The board's disk image, when it has one.</summary>
    string? DiskImage { get; }

    /// <summary>A directory that survives reboots and power cuts of the board.</summary>
    string DataDirectory { get; }
}
