using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.Device;

/// <summary>
/// What the board driver tells the device about itself, written as JSON next to its data directory. Only the name and
/// the data directory are required: the source-generated reader sets every init-only property, to null when the file
/// leaves it out (reflection kept the initializer), so the optional ones fall back to their defaults in their setters.
/// </summary>
public sealed record BoardConfig
{
    public required string Name { get; init; }

    public string Firmware { get; init => field = value ?? "1.0.0"; } = "1.0.0";

    public IReadOnlyList<string> Roles { get; init => field = value ?? []; } = [];

    public required string DataDirectory { get; init; }

    /// <summary>Why the board is booting: power-on or reboot. A power loss is detected by the device itself.</summary>
    public string BootReason { get; init => field = value ?? "power-on"; } = "power-on";

    public int Seed { get; init; }

    public IReadOnlyDictionary<string, string> Settings { get; init => field = value ?? new Dictionary<string, string>(); } = new Dictionary<string, string>();

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
