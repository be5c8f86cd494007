using System.Text.RegularExpressions;

namespace HilRig.Rig.Drivers.Boot;

/// <summary>
/// What a console line says went wrong on the board, in LAVA's terms (lava_dispatcher/utils/messages.py): a kernel panic
/// ends the boot; an oops, BUG or warning trace is reported; a bootloader banner that no power-on or reboot explains is an
/// unexpected reset (a watchdog, a brown-out).
/// </summary>
public static partial class ConsoleFaults
{
    public static string? KernelFault(string line) => line switch
    {
        _ when line.Contains("Kernel panic - not syncing", StringComparison.Ordinal) => "kernel panic",
        _ when OopsPattern().IsMatch(line) => "kernel oops",
        _ when line.Contains("BUG: ", StringComparison.Ordinal) => "kernel BUG",
        _ when line.Contains("------------[ cut here ]------------", StringComparison.Ordinal) => "kernel warning trace",
        _ => null,
    };

    /// <summary>Lines that mean the board is starting over: a bootloader banner.</summary>
    public static bool IsBootloaderBanner(string line) => BannerPattern().IsMatch(line);

    /// <summary>What Linux prints when it resets on purpose; a bootloader banner after it is a reboot, not a fault.</summary>
    public static bool IsOrderlyRestart(string line) => line.Contains("reboot: Restarting system", StringComparison.Ordinal);

    [GeneratedRegex(@"\bOops(: | - )|Internal error: Oops")]
    private static partial Regex OopsPattern();

    [GeneratedRegex(@"^\s*U-Boot (SPL )?20\d\d\.\d\d|^barebox 20\d\d\.\d\d")]
    private static partial Regex BannerPattern();
}
