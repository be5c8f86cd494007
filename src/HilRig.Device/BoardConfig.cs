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

    public static BoardConfig Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), BoardConfigJson.Default.BoardConfig)
                ?? throw new InvalidDataException($"{path}: empty board config");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}:{e.LineNumber + 1}: invalid board config: {e.Message}", e);
        }
    }

    public string Setting(string key, string fallback) => Settings.TryGetValue(key, out var v) ? v : fallback;
}

/// <summary>board.json, source-generated (the agent is NativeAOT): camelCase, as every board driver writes it.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BoardConfig))]
public sealed partial class BoardConfigJson : JsonSerializerContext;
