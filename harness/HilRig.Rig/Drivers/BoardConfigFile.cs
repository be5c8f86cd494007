using System.Text.Json;

namespace HilRig.Rig.Drivers;

/// <summary>
/// The <c>board.json</c> an agent reads at boot (src/HilRig.Device/BoardConfig.cs): written whole to a temporary file and
/// renamed, so an agent that boots while a step changes a setting reads the old file or the new one, never half of one.
/// </summary>
public static class BoardConfigFile
{
    public static void Write(string path, string name, string firmware, IReadOnlyList<string> roles, string dataDirectory, string bootReason, int seed,
        IReadOnlyDictionary<string, string> settings)
    {
        var config = new Dictionary<string, object>
        {
            ["name"] = name,
            ["firmware"] = firmware,
            ["roles"] = roles,
            ["dataDirectory"] = dataDirectory,
            ["bootReason"] = bootReason,
            ["seed"] = seed,
            ["settings"] = settings,
        };
        var temporary = path + ".new";
        File.WriteAllText(temporary, JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temporary, path, overwrite: true);
    }
}
