namespace HilRig.Rig.Protocols;

/// <summary>
/// Files a board is provisioned with before it powers on — credentials, keys, trust stores — as a factory station
/// would write them: the set is put on the board's own storage (a process board's state directory; a QEMU or container
/// board copies it into its image or volume at power-on), and the device reads each file at the path returned.
/// </summary>
public interface IProvisioningProtocol
{
    /// <summary>
    /// Adds <paramref name="content"/> to the board's file set at <paramref name="relativePath"/> (under the board's
    /// provisioning root, '/'-separated, no '..'), readable as <paramref name="mode"/> says; returns the path the
    /// device reads it at. Adding a path again replaces the file.
    /// </summary>
    string Provision(string relativePath, ReadOnlySpan<byte> content, UnixFileMode mode);
}
