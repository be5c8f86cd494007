using System.Globalization;
using System.Text.RegularExpressions;

namespace HilRig.Engine.Runtime;

/// <summary>Reads durations the way people write them in rig files and steps: <c>250ms</c>, <c>2s</c>, <c>1.5 min</c>, <c>00:00:05</c>.</summary>
public static partial class DurationParser
{
    public static TimeSpan Parse(string text)
    {
        if (TryParse(text, out var value)) return value;
        throw new FormatException($"'{text}' is not a duration (write e.g. 250ms, 2s, 1.5min, 1h or hh:mm:ss)");
    }

    public static bool TryParse(string text, out TimeSpan value)
    {
        var m = Pattern().Match(text.Trim());
        if (m.Success)
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var unit = m.Groups[2].Value.ToLowerInvariant();
            value = unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "" or "s" or "sec" or "second" or "seconds" => TimeSpan.FromSeconds(n),
                "m" or "min" or "minute" or "minutes" => TimeSpan.FromMinutes(n),
                "h" or "hour" or "hours" => TimeSpan.FromHours(n),
                _ => TimeSpan.MinValue,
            };
            return value != TimeSpan.MinValue && value >= TimeSpan.Zero;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(ms|s|sec|seconds?|m|min|minutes?|h|hours?|)$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
