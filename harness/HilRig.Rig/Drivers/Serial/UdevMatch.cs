namespace HilRig.Rig.Drivers.Serial;

/// <summary>
/// Finds a tty by its udev properties (ID_SERIAL_SHORT, ID_VENDOR_ID, ID_PATH …), as labgrid's USBSerialPort does, so
/// a rig file survives adapters being replugged into other ports. Reads what udev already recorded: each tty's
/// major:minor from sysfs and its properties from udev's database (<c>/run/udev/data/cMAJ:MIN</c>, lines <c>E:KEY=VALUE</c>).
/// </summary>
public sealed class UdevMatch(string sysClassTty = "/sys/class/tty", string udevData = "/run/udev/data", string dev = "/dev")
{
    /// <summary>The device path of the one tty whose properties include every pair of <paramref name="match"/>.</summary>
    public string Find(IReadOnlyDictionary<string, string> match)
    {
        var found = new List<string>();
        var seen = new List<string>();
        if (Directory.Exists(sysClassTty))
        {
            foreach (var tty in Directory.EnumerateDirectories(sysClassTty).Order())
            {
                var properties = PropertiesOf(tty);
                if (properties is null) continue;
                var name = Path.GetFileName(tty);
                if (properties.TryGetValue("ID_SERIAL_SHORT", out var serial)) seen.Add($"{name} (ID_SERIAL_SHORT={serial})");
                if (match.All(kv => properties.TryGetValue(kv.Key, out var v) && v == kv.Value)) found.Add(Path.Combine(dev, name));
            }
        }
        var wanted = string.Join(", ", match.Select(kv => $"{kv.Key}={kv.Value}"));
        return found.Count switch
        {
            1 => found[0],
            0 => throw new IOException($"no serial adapter has {wanted}; adapters udev knows: {(seen.Count == 0 ? "none" : string.Join(", ", seen))}"),
            _ => throw new IOException($"{found.Count} serial adapters have {wanted} ({string.Join(", ", found)}); add a property that tells them apart (ID_PATH)"),
        };
    }

    private Dictionary<string, string>? PropertiesOf(string ttyDirectory)
    {
        var devFile = Path.Combine(ttyDirectory, "dev");
        if (!File.Exists(devFile)) return null;
        var database = Path.Combine(udevData, "c" + File.ReadAllText(devFile).Trim());
        if (!File.Exists(database)) return null;
        return File.ReadLines(database)
            .Where(l => l.StartsWith("E:", StringComparison.Ordinal) && l.Contains('='))
            .Select(l => l[2..].Split('=', 2))
            .GroupBy(p => p[0])
            .ToDictionary(g => g.Key, g => g.Last()[1]);
    }
}
