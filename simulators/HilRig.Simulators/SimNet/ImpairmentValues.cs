using System.Globalization;

namespace HilRig.Simulators.SimNet;

/// <summary>
/// Parses the human spellings used in rig.yaml, fault plans and steps: "30%" or "0.3", "50ms"/"2s"/"1.5m",
/// "10mbit"/"512kbit"/"1gbit". Errors name the key and the text.
/// </summary>
public static class ImpairmentValues
{
    public static double Probability(string key, string text) =>
        TryProbability(text, out var v, out var problem) ? v : throw new FormatException($"{key}: {problem}");

    public static TimeSpan Duration(string key, string text) =>
        TryDuration(text, out var v, out var problem) ? v : throw new FormatException($"{key}: {problem}");

    public static long Rate(string key, string text) =>
        TryRate(text, out var v, out var problem) ? v : throw new FormatException($"{key}: {problem}");

    /// <summary>Parses a probability; otherwise says what is wrong with the text (without a key: the caller names it).</summary>
    public static bool TryProbability(string text, out double value, out string? problem)
    {
        var t = text.Trim();
        var percent = t.EndsWith('%');
        if (percent) t = t[..^1].Trim();
        value = 0;
        problem = null;
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            problem = $"'{text}' is not a probability (write 30% or 0.3)";
            return false;
        }
        v = percent ? v / 100 : v;
        if (v < 0 || v > 1)
        {
            problem = $"'{text}' is not between 0% and 100%";
            return false;
        }
        value = v;
        return true;
    }

    /// <summary>Parses a duration; otherwise says what is wrong with the text (without a key: the caller names it).</summary>
    public static bool TryDuration(string text, out TimeSpan value, out string? problem)
    {
        var t = text.Trim().ToLowerInvariant();
        (string suffix, double scale)[] units = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("m", 60), ("h", 3600)];
        value = TimeSpan.Zero;
        problem = null;
        foreach (var (suffix, scale) in units)
        {
            if (!t.EndsWith(suffix)) continue;
            if (double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && !double.IsInfinity(v))
            {
                value = TimeSpan.FromSeconds(v * scale);
                return true;
            }
            break;
        }
        problem = $"'{text}' is not a non-negative duration (write 50ms, 2s, 1.5m)";
        return false;
    }

    /// <summary>Parses a rate in bits per second; otherwise says what is wrong with the text (without a key: the caller names it).</summary>
    public static bool TryRate(string text, out long value, out string? problem)
    {
        var t = text.Trim().ToLowerInvariant().Replace("/s", "").Replace("bps", "bit");
        (string suffix, double scale)[] units = [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1)];
        value = 0;
        problem = null;
        foreach (var (suffix, scale) in units)
        {
            if (!t.EndsWith(suffix)) continue;
            if (double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0)
            {
                value = (long)(v * scale);
                return true;
            }
            break;
        }
        problem = $"'{text}' is not a rate (write 10mbit, 512kbit, 1gbit)";
        return false;
    }
}
