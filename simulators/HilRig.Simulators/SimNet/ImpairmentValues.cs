using System.Globalization;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Parses the human spellings used in rig.yaml, fault plans and steps: "30%" or "0.3", "50ms"/"2s"/"1.5m",
/// "10mbit"/"512kbit"/"1gbit". Errors name the key and the text.
/// </summary>
public static class ImpairmentValues
{
    public static double Probability(string key, string text)
    {
        var t = text.Trim();
        var percent = t.EndsWith('%');
        if (percent) t = t[..^1].Trim();
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
            throw new FormatException($"{key}: '{text}' is not a probability (write 30% or 0.3)");
        v = percent ? v / 100 : v;
        if (v < 0 || v > 1) throw new FormatException($"{key}: '{text}' is not between 0% and 100%");
        return v;
    }

    public static TimeSpan Duration(string key, string text)
    {
        var t = text.Trim().ToLowerInvariant();
        (string suffix, double scale)[] units = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (!t.EndsWith(suffix)) continue;
            if (double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && !double.IsInfinity(v))
                return TimeSpan.FromSeconds(v * scale);
            break;
        }
        throw new FormatException($"{key}: '{text}' is not a non-negative duration (write 50ms, 2s, 1.5m)");
    }

    public static long Rate(string key, string text)
    {
        var t = text.Trim().ToLowerInvariant().Replace("/s", "").Replace("bps", "bit");
        (string suffix, double scale)[] units = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1)];
        foreach (var (suffix, scale) in units)
        {
            if (!t.EndsWith(suffix)) continue;
            if (double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0)
                return (long)(v * scale);
            break;
        }
        throw new FormatException($"{key}: '{text}' is not a rate (write 10mbit, 512kbit, 1gbit)");
    }
}
