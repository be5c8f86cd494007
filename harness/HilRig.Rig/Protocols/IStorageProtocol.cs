namespace HilRig.Rig.Protocols;

/// <summary>A board's persistent storage as the harness can reach it (an image file for simulated boards).</summary>
public interface IStorageProtocol
{
    /// <summary>The board's A/B disk image as a host file (read any time; written only while the board is off), when it has one.</summary>
    string? DiskImage { get; }

    /// <summary>
    /// The root filesystem a release for this board is built on: a QEMU board boots its slot, so a release must be the
    /// board image's ext4 root (with the release's manifest in its first 1 KiB). Null when any bytes do (a process board
    /// only reads the manifest).
    /// </summary>
    string? ReleaseRoot => null;

    /// <summary>A directory that survives reboots and power cuts of the board.</summary>
    string DataDirectory { get; }
}
