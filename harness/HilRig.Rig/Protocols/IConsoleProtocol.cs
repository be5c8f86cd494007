using System.Text.RegularExpressions;
using HilRig.Rig.Drivers.Console;

namespace HilRig.Rig.Protocols;

/// <summary>
/// A board's serial console: everything it printed, with time stamps, and a way to type. <see cref="ExpectAsync"/>
/// searches forward from where the last match ended (pexpect's model), so consecutive expectations read the log
/// in order and never match the same text twice.
/// </summary>
public interface IConsoleProtocol
{
    ConsoleLog Log { get; }

    Task SendAsync(string text, CancellationToken cancellation = default);

    /// <summary>Waits until <paramref name="pattern"/> appears after the read position, or fails after <paramref name="timeout"/>.</summary>
    Task<ConsoleMatch> ExpectAsync(Regex pattern, TimeSpan timeout, CancellationToken cancellation = default);

    /// <summary>The read position: the end of the last match, or where the current boot began.</summary>
    long ReadPosition { get; set; }
}
