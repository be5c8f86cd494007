using System.Globalization;
using System.Text.RegularExpressions;

namespace HilRig.Rig.Model;

/// <summary>Reads sizes as people write them: <c>4096</c>, <c>16MiB</c>, <c>256M</c>, <c>1.5GiB</c> (K/M/G are binary, as in QEMU and dd).</summary>
public static partial class SizeParser
{
    public static long Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a size (write e.g. 4096, 512KiB, 16MiB, 1G)");

    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var m = Pattern().Match(text.Trim());
        if (!m.Success) return false;
        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var unit = m.Groups[2].Value.ToUpperInvariant();
        long multiplier = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            _ => 0,
        };
        if (multiplier == 0) return false;
        bytes = (long)(n * multiplier);
        return true;
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*([KMG]i?B?|B|)$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
