using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.Device;

/// <summary>What the board driver tells the device about itself, written as JSON next to its data directory.</summary>
public sealed record BoardConfig
{
    public required string Name { get; init; }

    public string Firmware { get; init; } = "1.0.0";

    public IReadOnlyList<string> Roles { get; init; } = [];

    public required string DataDirectory { get; init; }

    /// <summary>Why the board is booting: power-on or reboot. A power loss is detected by the device itself.</summary>
    public string BootReason { get; init; } = "power-on";

    public int Seed { get; init; }

    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static BoardConfig Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<BoardConfig>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty board config");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{e.LineNumber + 1}: invalid board config: {e.Message}", e);
        }
    }

    public string Setting(string key, string fallback) => Settings.TryGetValue(key, out var v) ? v : fallback;
}
