using System.Text.Json;
using System.Text.Json.Serialization;

namespace HilRig.Rig.Locking;

/// <summary>Who holds a board's lock: the run's process, since when, and the rig file it named the board in.</summary>
public sealed record LockHolder(
    [property: JsonPropertyName("board")] string Board,
    [property: JsonPropertyName("rig")] string Rig,
    [property: JsonPropertyName("pid")] int Pid,
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("resource")] string Resource)
{
    public override string ToString() => $"pid {Pid} ({Command}) since {Since.ToLocalTime():yyyy-MM-dd HH:mm:ss}, rig {Rig}";

    public string ToJson() => JsonSerializer.Serialize(this);

    public static LockHolder? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<LockHolder>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
